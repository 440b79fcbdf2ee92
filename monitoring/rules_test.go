package monitoring

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Rule files as Prometheus reads them.
type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// promtool unit test files.
type ruleTestFile struct {
	RuleFiles          []string        `yaml:"rule_files"`
	EvaluationInterval string          `yaml:"evaluation_interval"`
	GroupEvalOrder     []string        `yaml:"group_eval_order"`
	Tests              []ruleTestGroup `yaml:"tests"`
}

type ruleTestGroup struct {
	Interval       string          `yaml:"interval"`
	AlertRuleTests []alertRuleTest `yaml:"alert_rule_test"`
	PromQLTests    []struct {
		Expr string `yaml:"expr"`
	} `yaml:"promql_expr_test"`
}

type alertRuleTest struct {
	EvalTime  string `yaml:"eval_time"`
	Alertname string `yaml:"alertname"`
	ExpAlerts []struct {
		ExpLabels      map[string]string `yaml:"exp_labels"`
		ExpAnnotations map[string]string `yaml:"exp_annotations"`
	} `yaml:"exp_alerts"`
}

const runbookURL = "https://github.com/awardtracker/awardtracker/blob/main/docs/runbook.md"

func readYAML(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// ruleFiles are the rule files prometheus.yml loads (alerts/*.yml).
func ruleFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "alerts", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in alerts/: %v", err)
	}
	return files
}

func loadGroups(t testing.TB) []ruleGroup {
	t.Helper()
	var groups []ruleGroup
	for _, path := range ruleFiles(t) {
		var f ruleFile
		readYAML(t, path, &f)
		groups = append(groups, f.Groups...)
	}
	return groups
}

func ruleTestFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "alerts", "tests", "*.test.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests in alerts/tests/: %v", err)
	}
	return files
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := needTool(t, "promtool")
	run(t, repoRoot(t), promtool, append([]string{"check", "rules"}, ruleFiles(t)...)...)
}

// TestPromtoolTestRules runs the promtool unit tests, one file per subtest
// and in parallel: the day-over-day file alone evaluates 26 hours of rules.
func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	for _, path := range ruleTestFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			run(t, filepath.Dir(path), promtool, "test", "rules", filepath.Base(path))
		})
	}
}

var (
	alertName  = regexp.MustCompile(`^Awardtracker[A-Z][A-Za-z]+$`)
	recordName = regexp.MustCompile(`^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$`)
	// Native-histogram functions: the rules must work on classic buckets.
	nativeFuncs = regexp.MustCompile(`\bhistogram_(count|sum|fraction|avg|stddev|stdvar)\s*\(`)
	// Raw series of the service (not recorded ones, which carry a colon).
	rawSelector = regexp.MustCompile(`(?:^|[^a-zA-Z0-9_:])((?:awardtracker_[a-z0-9_]+|up|process_[a-z_]+|go_[a-z_]+))\s*(\{[^}]*\})?`)
)

// TestRuleStyle checks the mixin conventions the issue asks for (see
// monitoring-mixins' alert style guide and mixtool lint) on every rule.
func TestRuleStyle(t *testing.T) {
	runbook, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "runbook.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(string(runbook))
	for _, g := range loadGroups(t) {
		if len(g.Rules) > 20 || len(g.Name) > 40 {
			t.Errorf("group %s: %d rules, name %d characters; want at most 20 and 40", g.Name, len(g.Rules), len(g.Name))
		}
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			if nativeFuncs.MatchString(r.Expr) {
				t.Errorf("%s: uses a native-histogram function; the rules must work on classic buckets: %s", name, r.Expr)
			}
			for _, m := range rawSelector.FindAllStringSubmatch(r.Expr, -1) {
				if !strings.Contains(m[2], `job="awardtracker"`) {
					t.Errorf("%s: %s%s does not select job=\"awardtracker\"", name, m[1], m[2])
				}
			}
			if r.Record != "" {
				if !recordName.MatchString(r.Record) {
					t.Errorf("recording rule %s: not named level:metric:operations", r.Record)
				}
				continue
			}
			checkAlert(t, r, anchors)
		}
	}
}

func checkAlert(t *testing.T, r rule, anchors map[string]bool) {
	t.Helper()
	if !alertName.MatchString(r.Alert) || len(r.Alert) > 40 {
		t.Errorf("alert %q: want CamelCase Awardtracker<Symptom> of at most 40 characters", r.Alert)
	}
	if d, err := time.ParseDuration(r.For); err != nil || d <= 0 {
		// Prometheus durations such as 1d do not parse here; none is used.
		t.Errorf("%s: for: %q; want a positive duration", r.Alert, r.For)
	}
	if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
		t.Errorf("%s: severity %q; want critical, warning or info", r.Alert, s)
	}
	summary := r.Annotations["summary"]
	if summary == "" || strings.Contains(summary, "{{") || !unicode.IsUpper([]rune(summary)[0]) || !strings.HasSuffix(summary, ".") {
		t.Errorf("%s: summary %q; want a static sentence: capital letter, no template, full stop", r.Alert, summary)
	}
	if d := r.Annotations["description"]; !strings.Contains(d, "{{") {
		t.Errorf("%s: description %q; want a templated description", r.Alert, d)
	}
	anchor := strings.ToLower(r.Alert)
	if got, want := r.Annotations["runbook_url"], runbookURL+"#"+anchor; got != want {
		t.Errorf("%s: runbook_url %q; want %q", r.Alert, got, want)
	}
	if !anchors[anchor] {
		t.Errorf("%s: docs/runbook.md has no section with anchor #%s", r.Alert, anchor)
	}
}

// markdownAnchors returns the anchors GitHub gives the headings of doc.
func markdownAnchors(doc string) map[string]bool {
	anchors := make(map[string]bool)
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range title {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}

// TestRuleTestsCoverEveryAlert checks what the promtool tests must contain,
// which promtool itself cannot: every alert rule has a case where it fires
// and, in the same scenario, a check one evaluation earlier where it does
// not yet (the for: boundary); and every alert name has a scenario in which
// it must stay silent throughout.
func TestRuleTestsCoverEveryAlert(t *testing.T) {
	type scenario struct {
		file  string
		tests []alertRuleTest
	}
	var scenarios []scenario
	groupNames := make(map[string]bool)
	for _, g := range loadGroups(t) {
		groupNames[g.Name] = true
	}
	for _, path := range ruleTestFiles(t) {
		var f ruleTestFile
		readYAML(t, path, &f)
		step, err := time.ParseDuration(f.EvaluationInterval)
		if err != nil || step != time.Minute {
			t.Errorf("%s: evaluation_interval %q; the boundary checks below assume 1m", path, f.EvaluationInterval)
		}
		// Without a fixed order promtool evaluates groups in map order, so
		// an alert may see its recording rules one step late at random.
		order := slices.Clone(f.GroupEvalOrder)
		var want []string
		for name := range groupNames {
			want = append(want, name)
		}
		sort.Strings(order)
		sort.Strings(want)
		if !slices.Equal(order, want) {
			t.Errorf("%s: group_eval_order lists %v; want every rule group %v", path, f.GroupEvalOrder, want)
		}
		for _, g := range f.Tests {
			scenarios = append(scenarios, scenario{filepath.Base(path), g.AlertRuleTests})
		}
	}

	firesAt := func(s scenario, alert string, labels map[string]string, at time.Duration) bool {
		for _, tc := range s.tests {
			if tc.Alertname != alert || mustDuration(t, tc.EvalTime) != at {
				continue
			}
			for _, a := range tc.ExpAlerts {
				if subset(labels, a.ExpLabels) {
					return true
				}
			}
		}
		return false
	}
	checkedAt := func(s scenario, alert string, at time.Duration) bool {
		for _, tc := range s.tests {
			if tc.Alertname == alert && mustDuration(t, tc.EvalTime) == at {
				return true
			}
		}
		return false
	}

	silent := make(map[string]bool)
	for _, s := range scenarios {
		fired := make(map[string]bool)
		tested := make(map[string]bool)
		for _, tc := range s.tests {
			tested[tc.Alertname] = true
			if len(tc.ExpAlerts) > 0 {
				fired[tc.Alertname] = true
			}
		}
		for name := range tested {
			if !fired[name] {
				silent[name] = true
			}
		}
	}

	for _, g := range loadGroups(t) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			boundary := false
			for _, s := range scenarios {
				for _, tc := range s.tests {
					at := mustDuration(t, tc.EvalTime)
					if tc.Alertname == r.Alert && firesAt(s, r.Alert, r.Labels, at) &&
						checkedAt(s, r.Alert, at-time.Minute) && !firesAt(s, r.Alert, r.Labels, at-time.Minute) {
						boundary = true
					}
				}
			}
			if !boundary {
				t.Errorf("%s %v: no promtool test shows it firing at some time and not one evaluation before", r.Alert, r.Labels)
			}
			if !silent[r.Alert] {
				t.Errorf("%s: no promtool scenario in which it must stay silent", r.Alert)
			}
		}
	}
}

func subset(small, big map[string]string) bool {
	for k, v := range small {
		if big[k] != v {
			return false
		}
	}
	return true
}

// mustDuration parses promtool's eval_time (Go durations plus d).
func mustDuration(t testing.TB, s string) time.Duration {
	t.Helper()
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil {
			return time.Duration(n) * 24 * time.Hour
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("eval_time %q: %v", s, err)
	}
	return d
}
