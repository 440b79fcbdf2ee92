package monitoring

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dashboardJSON is the part of a Grafana dashboard the tests read.
type dashboardJSON struct {
	UID        string      `json:"uid"`
	Title      string      `json:"title"`
	Tags       []string    `json:"tags"`
	Panels     []dashPanel `json:"panels"`
	Templating struct {
		List []dashVariable `json:"list"`
	} `json:"templating"`
}

type dashPanel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Datasource  *dashDS                  `json:"datasource"`
	Targets     []dashTarget             `json:"targets"`
	Panels      []dashPanel              `json:"panels"` // collapsed rows
	GridPos     struct{ X, Y, W, H int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

type dashTarget struct {
	Expr       string  `json:"expr"`
	Legend     string  `json:"legendFormat"`
	RefID      string  `json:"refId"`
	Datasource *dashDS `json:"datasource"`
}

type dashDS struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashVariable struct {
	Type       string  `json:"type"`
	Name       string  `json:"name"`
	Label      string  `json:"label"`
	Query      any     `json:"query"`
	Datasource *dashDS `json:"datasource"`
	Multi      bool    `json:"multi"`
	IncludeAll bool    `json:"includeAll"`
	AllValue   string  `json:"allValue"`
	Current    struct {
		Value any `json:"value"`
	} `json:"current"`
}

// loadDashboards reads every dashboard JSON in dashboards/.
func loadDashboards(t testing.TB) map[string]dashboardJSON {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in dashboards/: %v", err)
	}
	out := make(map[string]dashboardJSON)
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboardJSON
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[filepath.Base(path)] = d
	}
	return out
}

// panels flattens rows (collapsed rows keep their panels inside).
func (d dashboardJSON) panels() []dashPanel {
	var out []dashPanel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// provisionedDatasourceUID is the uid of the datasource Grafana provisions.
func provisionedDatasourceUID(t testing.TB) string {
	t.Helper()
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(repoRoot(t), "dashboards", "provisioning", "datasources", "prometheus.yaml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].UID == "" {
		t.Fatalf("provisioned datasources %+v; want one prometheus datasource with a uid", ds.Datasources)
	}
	return ds.Datasources[0].UID
}

var (
	// Range selectors: every one must be [$__rate_interval].
	rangeSel = regexp.MustCompile(`\[([^\]]*)\]`)
	// Label matcher blocks.
	matcherBlock = regexp.MustCompile(`\{[^}]*\}`)
	// Grouping clauses, whose contents are label names, not series.
	groupingClause = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	// Identifiers, with what follows them.
	identifier = regexp.MustCompile(`\b([a-zA-Z_][a-zA-Z0-9_:]*)\s*(\{|\()?`)
	keywords   = map[string]bool{"and": true, "or": true, "unless": true, "offset": true, "bool": true, "by": true, "without": true, "on": true, "ignoring": true}
	// Counters must be read through one of these.
	counterFuncs = regexp.MustCompile(`\b(rate|irate|increase)\s*\(\s*[a-zA-Z_:][a-zA-Z0-9_:]*_total\b`)
)

// seriesSelectors returns the metric names an expression selects, each with
// its matcher block ("" when it has none).
func seriesSelectors(expr string) map[string][]string {
	out := make(map[string][]string)
	s := groupingClause.ReplaceAllString(expr, "")
	s = rangeSel.ReplaceAllString(s, "")
	// Keep each matcher block with the name before it, then blank it so that
	// label names and values inside are not read as series.
	for _, loc := range identifier.FindAllStringSubmatchIndex(s, -1) {
		name := s[loc[2]:loc[3]]
		next := ""
		if loc[4] >= 0 {
			next = s[loc[4]:loc[5]]
		}
		if next == "(" || keywords[name] || insideBraces(s, loc[2]) {
			continue
		}
		block := ""
		if next == "{" {
			block = matcherBlock.FindString(s[loc[4]:])
		}
		out[name] = append(out[name], block)
	}
	return out
}

func insideBraces(s string, i int) bool {
	return strings.LastIndex(s[:i], "{") > strings.LastIndex(s[:i], "}")
}

// TestDashboards checks the rules the issue and the dashboard-linter set:
// a datasource variable defaulting to the provisioned uid, job and instance
// variables, and on every panel a unit, a description, the templated
// datasource, and queries that filter on job and instance, read counters
// through rate/increase over $__rate_interval and only use recording rules
// that exist.
func TestDashboards(t *testing.T) {
	uid := provisionedDatasourceUID(t)
	records := make(map[string]bool)
	for _, g := range loadGroups(t) {
		for _, r := range g.Rules {
			if r.Record != "" {
				records[r.Record] = true
			}
		}
	}
	boards := loadDashboards(t)
	for _, want := range []string{"Overview", "Queries", "Cache", "Sync"} {
		found := false
		for _, d := range boards {
			found = found || strings.HasSuffix(d.Title, want)
		}
		if !found {
			t.Errorf("no %s dashboard", want)
		}
	}

	uids := make(map[string]string)
	for file, d := range boards {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q, title %q; want both", file, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", file, other, d.UID)
		}
		uids[d.UID] = file
		checkVariables(t, file, d, uid)

		ids := make(map[int]bool)
		for _, p := range d.panels() {
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("%s: panel %q has id %d, zero or used twice", file, p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: panel %q is wider than the grid", file, p.Title)
			}
			if p.Type == "row" {
				continue
			}
			where := file + ": " + p.Title
			if p.Title == "" || p.Description == "" {
				t.Errorf("%s: title %q, description %q; want both", where, p.Title, p.Description)
			}
			if p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: no unit", where)
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("%s: datasource %+v; want the ${datasource} variable", where, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no queries", where)
			}
			refs := make(map[string]bool)
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("%s: refId %q empty or repeated", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if tg.Datasource != nil && tg.Datasource.UID != "${datasource}" {
					t.Errorf("%s: query datasource %+v; want the ${datasource} variable", where, tg.Datasource)
				}
				checkExpr(t, where, tg.Expr, records)
			}
		}
	}
}

func checkVariables(t *testing.T, file string, d dashboardJSON, uid string) {
	t.Helper()
	vars := make(map[string]dashVariable)
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	ds, ok := vars["datasource"]
	if !ok || ds.Type != "datasource" || ds.Query != "prometheus" || ds.Label != "Data Source" {
		t.Errorf("%s: datasource variable %+v; want type datasource, query prometheus, label Data Source", file, ds)
	}
	if ds.Current.Value != uid {
		t.Errorf("%s: datasource variable defaults to %v; want the provisioned uid %q", file, ds.Current.Value, uid)
	}
	for _, name := range []string{"job", "instance"} {
		v, ok := vars[name]
		if !ok {
			t.Errorf("%s: no %s variable", file, name)
			continue
		}
		if v.Type != "query" || !v.Multi || !v.IncludeAll || v.AllValue != ".+" || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			t.Errorf("%s: %s variable %+v; want a multi-value query on ${datasource} with All = .+", file, name, v)
		}
	}
}

func checkExpr(t *testing.T, where, expr string, records map[string]bool) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("%s: empty query", where)
		return
	}
	for _, m := range rangeSel.FindAllStringSubmatch(expr, -1) {
		if m[1] != "$__rate_interval" {
			t.Errorf("%s: range [%s]; want [$__rate_interval]: %s", where, m[1], expr)
		}
	}
	if strings.Count(expr, "_total") != len(counterFuncs.FindAllString(expr, -1)) {
		t.Errorf("%s: a counter is not read through rate, irate or increase: %s", where, expr)
	}
	sels := seriesSelectors(expr)
	if len(sels) == 0 {
		t.Errorf("%s: selects no series: %s", where, expr)
	}
	for name, blocks := range sels {
		if strings.Contains(name, ":") && !records[name] {
			t.Errorf("%s: %s is not a recording rule in alerts/", where, name)
		}
		for _, b := range blocks {
			if !strings.Contains(b, `job=~"$job"`) || !strings.Contains(b, `instance=~"$instance"`) {
				t.Errorf("%s: %s%s does not filter on job=~\"$job\" and instance=~\"$instance\"", where, name, b)
			}
		}
	}
}

func TestSeriesSelectors(t *testing.T) {
	got := seriesSelectors(`sum by (route) (rate(awardtracker_http_requests_total{job=~"$job", code=~"5.."}[$__rate_interval])) / ignoring (le) up offset 1d and time() - process_start_time_seconds`)
	want := map[string][]string{
		"awardtracker_http_requests_total": {`{job=~"$job", code=~"5.."}`},
		"up":                               {""},
		"process_start_time_seconds":       {""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for name, blocks := range want {
		if strings.Join(got[name], "|") != strings.Join(blocks, "|") {
			t.Errorf("%s: got %q, want %q", name, got[name], blocks)
		}
	}
}

// TestDashboardProvisioning checks that Grafana's dashboard provider reads
// the directory docker-compose.yml mounts the JSON into.
func TestDashboardProvisioning(t *testing.T) {
	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(repoRoot(t), "dashboards", "provisioning", "dashboards", "awardtracker.yaml"), &prov)
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" {
		t.Fatalf("dashboard provisioning %+v; want apiVersion 1 and one file provider", prov)
	}
	grafana := loadCompose(t).service(t, "grafana")
	source, ok := grafana.mountSource(prov.Providers[0].Options.Path)
	if !ok {
		t.Fatalf("grafana mounts nothing at %s, where the dashboard provider reads", prov.Providers[0].Options.Path)
	}
	if got, want := source, filepath.Join(repoRoot(t), "dashboards"); got != want {
		t.Errorf("grafana's %s comes from %s; want %s", prov.Providers[0].Options.Path, got, want)
	}
}
