package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPrometheusConfig(t *testing.T) {
	promtool := needTool(t, "promtool")
	// prometheus-fleet.yml is the compose fleet profile's variant.
	for _, file := range []string{"prometheus.yml", "prometheus-fleet.yml"} {
		out := run(t, repoRoot(t), promtool, "check", "config", file)
		// The glob must pick up the rule files and nothing else (not the tests).
		if got, want := strings.Count(out, "rules found"), len(ruleFiles(t)); got != want {
			t.Errorf("%s: promtool check config checked %d rule files; want %d:\n%s", file, got, want, out)
		}
	}

	var cfg prometheusConfig
	readYAML(t, filepath.Join(repoRoot(t), "prometheus.yml"), &cfg)
	job := cfg.job("awardtracker")
	if job == nil {
		t.Fatalf("prometheus.yml has no scrape job awardtracker")
	}
	if len(cfg.Alerting.Alertmanagers) == 0 {
		t.Errorf("prometheus.yml sends alerts nowhere")
	}
}

// prometheusConfig is the part of prometheus.yml the tests read.
type prometheusConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
}

func (c *prometheusConfig) job(name string) map[string]any {
	for _, sc := range c.ScrapeConfigs {
		if sc["job_name"] == name {
			return sc
		}
	}
	return nil
}

func TestAlertmanagerConfig(t *testing.T) {
	amtool := needTool(t, "amtool")
	root := repoRoot(t)
	run(t, root, amtool, "check-config", "alertmanager.yml")

	// Routing by severity; anything unknown still reaches someone.
	for _, tc := range []struct {
		labels []string
		want   string
	}{
		{[]string{"alertname=AwardtrackerDown", "severity=critical"}, "pager"},
		{[]string{"alertname=AwardtrackerSlowQueries", "severity=warning"}, "ticket"},
		{[]string{"alertname=Watchdog", "severity=info"}, "blackhole"},
		{[]string{"alertname=Unknown"}, "default"},
	} {
		out := run(t, root, amtool, append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, tc.labels...)...)
		if got := strings.TrimSpace(lastLine(out)); got != tc.want {
			t.Errorf("route for %v: got %q, want %q", tc.labels, got, tc.want)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestAlertmanagerInhibition starts the real Alertmanager with
// alertmanager.yml on loopback, posts alerts and reads back which ones its
// inhibit rules mute. Alertmanager evaluates inhibition when its API lists
// alerts, so no notification has to go out.
func TestAlertmanagerInhibition(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	base := startAlertmanager(t, ctx)

	with := func(extra map[string]string) map[string]string {
		return labels(map[string]string{"job": "awardtracker", "instance": "awardtracker:3001"}, extra)
	}
	alerts := []map[string]string{
		with(map[string]string{"alertname": "AwardtrackerLatencyBudgetBurn", "severity": "critical", "long": "1h", "short": "5m"}),
		with(map[string]string{"alertname": "AwardtrackerLatencyBudgetBurn", "severity": "warning", "long": "1d", "short": "2h"}),
		with(map[string]string{"alertname": "AwardtrackerCriticalQueries", "severity": "critical", "query": "qso_stats"}),
		with(map[string]string{"alertname": "AwardtrackerSlowQueries", "severity": "warning", "query": "qso_stats"}),
		with(map[string]string{"alertname": "AwardtrackerSlowQueries", "severity": "warning", "query": "qso_list"}),
		with(map[string]string{"alertname": "AwardtrackerCacheHitRateLow", "severity": "warning", "cache": "stats"}),
	}
	postAlerts(t, base, alerts)

	inhibited := func() map[string]bool { return inhibitedAlerts(t, base, "severity", "query") }
	want := map[string]bool{
		"AwardtrackerLatencyBudgetBurn/critical/":        false,
		"AwardtrackerLatencyBudgetBurn/warning/":         true, // by the critical of the same name
		"AwardtrackerCriticalQueries/critical/qso_stats": false,
		"AwardtrackerSlowQueries/warning/qso_stats":      true, // by the critical of the same query
		"AwardtrackerSlowQueries/warning/qso_list":       false,
		"AwardtrackerCacheHitRateLow/warning/":           false,
	}
	// The inhibitor learns of new source alerts from its own subscription,
	// a moment after the POST: wait until the answer settles on what we
	// expect, and report the last answer if it never does.
	got := eventually(ctx, func() map[string]bool { return inhibited() }, want)
	for key, w := range want {
		if g, ok := got[key]; !ok || g != w {
			t.Errorf("%s: inhibited %v (listed %v), want %v", key, g, ok, w)
		}
	}

	// The target being down mutes everything else of that instance.
	postAlerts(t, base, []map[string]string{with(map[string]string{"alertname": "AwardtrackerDown", "severity": "critical"})})
	want = map[string]bool{"AwardtrackerDown/critical/": false}
	for key := range got {
		want[key] = true
	}
	got = eventually(ctx, func() map[string]bool { return inhibited() }, want)
	for key, w := range want {
		if g, ok := got[key]; !ok || g != w {
			t.Errorf("with AwardtrackerDown firing, %s: inhibited %v (listed %v), want %v", key, g, ok, w)
		}
	}
}

// TestAlertmanagerInhibition_Fleet: in a fleet, a replica that is down
// while the others serve makes AwardtrackerFleetPartlyDown's ticket and
// no page of its own, yet still mutes its other alerts; the replicas that
// answer keep theirs, and so does the fleet (AwardtrackerSyncFailing and
// AwardtrackerSyncStale have no instance: one replica lost does not
// explain them, one that lost the database does); another job's fleet
// does not mute this one.
// A single instance's AwardtrackerDown pages as before
// (TestAlertmanagerInhibition, where no fleet alert fires).
func TestAlertmanagerInhibition_Fleet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	base := startAlertmanager(t, ctx)

	job := map[string]string{"job": "awardtracker"}
	replica := func(instance string, extra map[string]string) map[string]string {
		return labels(job, map[string]string{"instance": instance}, extra)
	}
	postAlerts(t, base, []map[string]string{
		replica("b:3001", map[string]string{"alertname": "AwardtrackerDown", "severity": "critical"}),
		replica("b:3001", map[string]string{"alertname": "AwardtrackerCacheListenerDown", "severity": "warning"}),
		labels(job, map[string]string{"alertname": "AwardtrackerSyncStale", "severity": "warning", "source": "lotw"}),
		labels(job, map[string]string{"alertname": "AwardtrackerSyncFailing", "severity": "warning", "source": "lotw"}),
		replica("c:3001", map[string]string{"alertname": "AwardtrackerCacheHitRateLow", "severity": "warning"}),
		// Another job's lost replica, while only that job's fleet is
		// partly down: its page is muted, this job's is not.
		{"job": "other", "instance": "x:3001", "alertname": "AwardtrackerDown", "severity": "critical"},
		{"job": "other", "alertname": "AwardtrackerFleetPartlyDown", "severity": "warning"},
	})
	want := map[string]bool{
		"AwardtrackerDown/awardtracker/b:3001":              false, // no fleet alert yet: it pages
		"AwardtrackerCacheListenerDown/awardtracker/b:3001": true,  // by b's AwardtrackerDown
		"AwardtrackerSyncStale/awardtracker/":               false,
		"AwardtrackerSyncFailing/awardtracker/":             false,
		"AwardtrackerCacheHitRateLow/awardtracker/c:3001":   false,
		"AwardtrackerDown/other/x:3001":                     true, // by other's FleetPartlyDown
		"AwardtrackerFleetPartlyDown/other/":                false,
	}
	inhibited := func() map[string]bool { return inhibitedAlerts(t, base, "job", "instance") }
	got := eventually(ctx, inhibited, want)
	for key, w := range want {
		if g, ok := got[key]; !ok || g != w {
			t.Errorf("%s: inhibited %v (listed %v), want %v", key, g, ok, w)
		}
	}

	// Now the awardtracker fleet is partly down too.
	postAlerts(t, base, []map[string]string{labels(job, map[string]string{"alertname": "AwardtrackerFleetPartlyDown", "severity": "warning"})})
	want["AwardtrackerFleetPartlyDown/awardtracker/"] = false // the ticket
	want["AwardtrackerDown/awardtracker/b:3001"] = true       // no page
	got = eventually(ctx, inhibited, want)
	for key, w := range want {
		if g, ok := got[key]; !ok || g != w {
			t.Errorf("with the fleet partly down, %s: inhibited %v (listed %v), want %v", key, g, ok, w)
		}
	}

	// Replica c loses the database: its own alerts and the fleet's sync
	// alerts are muted under its page; the other job's are not.
	postAlerts(t, base, []map[string]string{replica("c:3001", map[string]string{"alertname": "AwardtrackerUnhealthy", "severity": "critical"})})
	want["AwardtrackerUnhealthy/awardtracker/c:3001"] = false
	want["AwardtrackerCacheHitRateLow/awardtracker/c:3001"] = true
	want["AwardtrackerSyncStale/awardtracker/"] = true
	want["AwardtrackerSyncFailing/awardtracker/"] = true
	got = eventually(ctx, inhibited, want)
	for key, w := range want {
		if g, ok := got[key]; !ok || g != w {
			t.Errorf("with replica c unhealthy, %s: inhibited %v (listed %v), want %v", key, g, ok, w)
		}
	}
}

// startAlertmanager starts the real Alertmanager with alertmanager.yml on
// loopback and returns its base URL.
func startAlertmanager(t testing.TB, ctx context.Context) string {
	t.Helper()
	bin := needTool(t, "alertmanager")
	addr := freeAddr(t)
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+filepath.Join(repoRoot(t), "alertmanager.yml"),
		"--storage.path="+t.TempDir(),
		"--web.listen-address="+addr,
		"--cluster.listen-address=", // no gossip port, no peers
	)
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopProcess(cmd) })
	base := "http://" + addr
	waitHTTP(t, ctx, base+"/-/ready", &logs)
	return base
}

// labels merges label sets; later ones win.
func labels(sets ...map[string]string) map[string]string {
	m := map[string]string{}
	for _, set := range sets {
		for k, v := range set {
			m[k] = v
		}
	}
	return m
}

// inhibitedAlerts lists the alerts Alertmanager holds, keyed by alertname
// and the values of keys joined by "/", and whether each is muted.
func inhibitedAlerts(t testing.TB, base string, keys ...string) map[string]bool {
	t.Helper()
	var got []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	getJSON(t, base+"/api/v2/alerts", &got)
	m := map[string]bool{}
	for _, a := range got {
		key := a.Labels["alertname"]
		for _, k := range keys {
			key += "/" + a.Labels[k]
		}
		m[key] = len(a.Status.InhibitedBy) > 0
	}
	return m
}

func postAlerts(t testing.TB, base string, labels []map[string]string) {
	t.Helper()
	var post []map[string]any
	for _, l := range labels {
		post = append(post, map[string]any{"labels": l, "startsAt": time.Now().UTC().Format(time.RFC3339)})
	}
	body, _ := json.Marshal(post)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /api/v2/alerts: %s %s", resp.Status, msg)
	}
}

// eventually polls get until it returns want or ctx ends, and returns the
// last value either way.
func eventually[T any](ctx context.Context, get func() T, want T) T {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		got := get()
		if reflect.DeepEqual(got, want) {
			return got
		}
		select {
		case <-ctx.Done():
			return got
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago; the process started on it may still lose a race, which then fails
// the test loudly rather than flakily passing.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHTTP polls url until it answers 200 or ctx ends. Polling is the only
// way to learn that another process is ready; the ticker bounds its cost.
func waitHTTP(t testing.TB, ctx context.Context, url string, logs fmt.Stringer) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not ready: %v\n%s", url, ctx.Err(), logs.String())
		case <-tick.C:
		}
	}
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
}

// stopProcess ends a process the test started and waits for it.
func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// TestInstallScript checks the install script's syntax and runs it: with
// the tools built (this test needs them anyway) it only reports them.
func TestInstallScript(t *testing.T) {
	run(t, repoRoot(t), "bash", "-n", filepath.Join("scripts", "install-monitoring-tools.sh"))
	for _, tool := range []string{"prometheus", "promtool", "alertmanager", "amtool"} {
		needTool(t, tool)
	}
	prom, am := pinnedVersions(t)
	out := run(t, repoRoot(t), "bash", filepath.Join("scripts", "install-monitoring-tools.sh"), prom, am)
	for _, want := range []string{"prometheus " + prom + " present", "alertmanager " + am + " present"} {
		if !strings.Contains(out, want) {
			t.Errorf("install script with every tool built: got %q, want it to say %q", out, want)
		}
	}
}

// TestToolVersions checks that the tests run the Prometheus and
// Alertmanager releases that docker-compose.yml ships and the README names,
// so that the rule tests hold on what users run.
func TestToolVersions(t *testing.T) {
	promModule, amModule := pinnedVersions(t)
	prom, am := releaseVersion(promModule), releaseVersion(amModule)
	for _, tc := range []struct{ tool, want string }{
		{"promtool", "promtool, version " + prom + " "},
		{"prometheus", "prometheus, version " + prom + " "},
		{"amtool", "amtool, version " + am + " "},
		{"alertmanager", "alertmanager, version " + am + " "},
	} {
		out := run(t, repoRoot(t), needTool(t, tc.tool), "--version")
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s --version: got %q, want it to contain %q", tc.tool, out, tc.want)
		}
	}

	p := loadCompose(t)
	for service, want := range map[string]string{
		"prometheus":   "prom/prometheus:v" + prom,
		"alertmanager": "prom/alertmanager:v" + am,
	} {
		if got := p.service(t, service).Image; got != want {
			t.Errorf("docker-compose.yml runs %s as %s, want %s (the Makefile's pinned version)", service, got, want)
		}
	}

	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Prometheus " + prom, "Alertmanager " + am} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not name the tested %q", want)
		}
	}
}
