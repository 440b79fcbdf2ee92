package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// TestEndToEnd proves the rules and dashboards against the real thing: it
// builds and starts awardtracker with its demo data and a test-only delay of
// 150 ms on every database query (the fault), scrapes it with a real
// Prometheus loading the repository's rule files, drives some traffic, and
// then asks Prometheus's HTTP API
//   - that the histograms arrive both native and classic (the rules read
//     the classic buckets),
//   - that every recording rule evaluates without error and yields series,
//   - that every dashboard query parses and returns data, and
//   - that AwardtrackerSlowQueries is pending or firing, while
//     AwardtrackerCriticalQueries (500 ms) and AwardtrackerDown are not.
//
// The for: durations stay as they are: pending is reached as soon as the
// expression holds, which is what the test waits for. Everything listens on
// 127.0.0.1; every process is killed in Cleanup; the whole test is bounded
// by a timeout.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	promBin := needTool(t, "prometheus")
	root := repoRoot(t)
	// MONITORING_SNAPSHOT=file.json also writes every panel's data there,
	// after a longer run of traffic, for scripts/dashboard-snapshot.py to
	// draw (docs/images). Not set in CI.
	snapshot := os.Getenv("MONITORING_SNAPSHOT")
	dir := t.TempDir()

	// A cold build compiles SQLite with cgo: give it its own budget.
	recordSources(t, root)
	bin := filepath.Join(dir, "awardtracker")
	bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer bcancel()
	build := exec.CommandContext(bctx, "go", "build", "-o", bin, "./cmd/awardtracker")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/awardtracker: %v\n%s", err, out)
	}

	timeout := 3 * time.Minute
	if snapshot != "" {
		timeout += snapshotTraffic
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)

	// The LoTW the demo account syncs from: a fake on loopback, started
	// here, since the binary links no test fake.
	lotwFake := lotwtest.NewSampleServer(demoLoTWLogin, demoLoTWPassword)
	t.Cleanup(lotwFake.Close)

	const token = "e2e-operator-token"
	svc := startService(t, ctx, bin,
		"--lotw.url="+lotwFake.URL,
		"--secrets.key=e2e-secrets-key-of-at-least-32-characters",
		"--db.path="+filepath.Join(dir, "awardtracker.db"),
		"--demo",
		"--debug.query-delay=150ms",
		"--web.operator-token="+token,
		"--log.format=json",
		"--log.level=warn",
		// The test logs in a few times within a minute from one address;
		// the limits are not what it tests.
		"--web.rate-limit.auth=0",
		"--web.rate-limit.api=0",
	)

	tokenFile := filepath.Join(dir, "operator-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, ctx, promBin, dir, svc.addr, tokenFile)

	// Traffic only counts once Prometheus has a first sample to compare
	// with; before that, rate() sees one flat value.
	waitQuery(t, ctx, prom, `up{job="awardtracker"} == 1`, "the first successful scrape")
	start := time.Now()
	svc.traffic(t, ctx, token)
	if snapshot != "" {
		svc.steadyTraffic(t, ctx, token, snapshotTraffic)
	}
	// Let a scrape see the last request, and every rule group evaluate
	// after that scrape, before reading anything.
	end := time.Now().Unix() + 1
	waitQuery(t, ctx, prom, fmt.Sprintf(`timestamp(up{job="awardtracker"}) > %d`, end), "a scrape after the traffic")
	bothForms := t.Run("BothHistogramForms", func(t *testing.T) {
		// prometheus.yml's job scrapes native histograms and, with
		// always_scrape_classic_histograms, keeps the classic _bucket
		// series the rules and dashboards read; without it Prometheus 3
		// would store the native form only.
		for _, expr := range []string{
			`count(awardtracker_http_request_duration_seconds_bucket{job="awardtracker"})`,
			`count(awardtracker_db_query_duration_seconds_bucket{job="awardtracker"})`,
			`count(histogram_count(awardtracker_http_request_duration_seconds{job="awardtracker"}))`,
			`count(histogram_count(awardtracker_db_query_duration_seconds{job="awardtracker"}))`,
		} {
			if res := queryInstant(t, ctx, prom, expr); len(res) == 0 {
				t.Errorf("%s: no series (is always_scrape_classic_histograms still set on the job in prometheus.yml?)", expr)
			}
		}
	})
	if !bothForms {
		// The rules read the classic series: waiting for their
		// evaluations below would only time out.
		t.FailNow()
	}

	for _, rec := range []string{
		"instance_route:awardtracker_http_requests:rate5m",
		"instance_query:awardtracker_db_queries:rate5m",
		"instance_cache:awardtracker_cache_hits:rate5m",
		"instance:awardtracker_http_api_slo_requests:rate5m",
	} {
		waitQuery(t, ctx, prom, fmt.Sprintf(`timestamp(%s{job="awardtracker"}) > %d`, rec, end), "an evaluation of "+rec)
	}
	for _, s := range queryInstant(t, ctx, prom, `instance_query_quantile:awardtracker_db_query_duration_seconds:histogram_quantile_rate5m{job="awardtracker", quantile="0.95"} > 0`) {
		t.Logf("P95 of %s: %v s", s.Metric["query"], s.Value[1])
	}

	t.Run("AlertsFromTheFault", func(t *testing.T) {
		// The rules have evaluated the scraped fault already (waited for
		// above); pending is one more evaluation away. The short deadline
		// leaves time for the other subtests if it never comes.
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		alerts := waitAlert(t, actx, prom, "AwardtrackerSlowQueries")
		for _, a := range alerts {
			t.Logf("%s %s %v", a.Labels["alertname"], a.State, a.Labels)
		}
		for _, a := range alerts {
			switch a.Labels["alertname"] {
			case "AwardtrackerCriticalQueries", "AwardtrackerDown", "AwardtrackerUnhealthy":
				t.Errorf("%s is %s with a 150 ms fault; want it silent", a.Labels["alertname"], a.State)
			}
		}
	})

	t.Run("RecordingRules", func(t *testing.T) {
		names := recordingRules(t)
		for _, name := range names {
			res := queryRange(t, ctx, prom, name+`{job="awardtracker"}`, start, time.Now())
			if len(res) == 0 && !postgresOnly.MatchString(name) {
				t.Errorf("recording rule %s yields no series", name)
			}
		}
		checkRuleHealth(t, prom)
	})

	t.Run("DashboardQueries", func(t *testing.T) {
		end := time.Now()
		var snap []snapshotDashboard
		for file, d := range loadDashboards(t) {
			sd := snapshotDashboard{File: file, Title: d.Title}
			for _, p := range d.panels() {
				if p.Type == "row" {
					continue
				}
				sp := snapshotPanel{Title: p.Title, Type: p.Type, Unit: p.FieldConfig.Defaults.Unit, X: p.GridPos.X, Y: p.GridPos.Y, W: p.GridPos.W, H: p.GridPos.H}
				for _, tg := range p.Targets {
					expr := substitute(tg.Expr)
					where := fmt.Sprintf("%s: %s (%s)", file, p.Title, tg.RefID)
					res := queryRange(t, ctx, prom, expr, start, end)
					sp.Targets = append(sp.Targets, snapshotTarget{Expr: expr, Legend: tg.Legend, Series: res})
					if strings.Contains(expr, " offset ") {
						// A day-over-day query has no data a day before
						// the test: it must parse and evaluate (above),
						// and its "today" side must have data.
						expr = offsetClause.ReplaceAllString(expr, "")
						res = queryRange(t, ctx, prom, expr, start, end)
					}
					if len(res) == 0 && postgresOnly.MatchString(expr) {
						continue
					}
					if len(res) == 0 {
						t.Errorf("%s returns no series: %s", where, expr)
						continue
					}
					if !hasNumber(res) {
						// 0/0: the traffic above exercises every
						// panel, so NaN alone means a query reads the
						// wrong series or label.
						t.Errorf("%s returns only NaN: %s", where, expr)
					}
				}
				sd.Panels = append(sd.Panels, sp)
			}
			snap = append(snap, sd)
		}
		if snapshot != "" {
			sort.Slice(snap, func(i, j int) bool { return snap[i].File < snap[j].File })
			data, err := json.MarshalIndent(map[string]any{"start": start.Unix(), "end": end.Unix(), "dashboards": snap}, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(snapshot, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// snapshotTraffic is how long the snapshot run keeps traffic going.
const snapshotTraffic = 3 * time.Minute

// What MONITORING_SNAPSHOT gets: every panel's queries and their series.
type snapshotDashboard struct {
	File   string          `json:"file"`
	Title  string          `json:"title"`
	Panels []snapshotPanel `json:"panels"`
}

type snapshotPanel struct {
	Title   string           `json:"title"`
	Type    string           `json:"type"`
	Unit    string           `json:"unit"`
	X       int              `json:"x"`
	Y       int              `json:"y"`
	W       int              `json:"w"`
	H       int              `json:"h"`
	Targets []snapshotTarget `json:"targets"`
}

type snapshotTarget struct {
	Expr   string       `json:"expr"`
	Legend string       `json:"legend"`
	Series []promSeries `json:"series"`
}

// recordSources opens every Go file and go.mod/go.sum of the module. The go
// command caches a passing test's result keyed on the files the test
// opened; the service is built by a child process it cannot see, so without
// this a changed service would not rerun a cached end-to-end pass.
func recordSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			return f.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var offsetClause = regexp.MustCompile(`\s+offset\s+\d+[smhdwy]`)

// postgresOnly matches the series only a service on PostgreSQL exports
// (River's queue, the cache invalidation listener) and the records built
// on them. This test runs the service on SQLite, so queries reading them
// must parse and evaluate but may return nothing; the fleet's promtool
// tests (alerts/tests/fleet.test.yml) cover their values.
var postgresOnly = regexp.MustCompile(`awardtracker_sync_queue_|awardtracker_cache_listener_|awardtracker_cache_notifications_|awardtracker_cache_invalidation_lag_`)

// substitute replaces the dashboard variables as Grafana would with "All"
// selected. $__rate_interval is max(step + scrape, 4 * scrape) in Grafana;
// with the 1 s scrape here, 4 s, rounded up for jitter.
func substitute(expr string) string {
	return strings.NewReplacer(
		"$__rate_interval", "5s",
		"$job", "awardtracker",
		"$instance", ".+",
		"$query", ".+",
	).Replace(expr)
}

// service is the awardtracker process under test.
type service struct {
	addr string
	logs *lockedBuffer
}

func (s *service) url(path string) string { return "http://" + s.addr + path }

func startService(t *testing.T, ctx context.Context, bin string, args ...string) *service {
	t.Helper()
	s := &service{addr: freeAddr(t), logs: &lockedBuffer{}}
	cmd := exec.CommandContext(ctx, bin, append([]string{"--web.listen-address=" + s.addr}, args...)...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopProcess(cmd)
		if t.Failed() {
			t.Logf("awardtracker output:\n%s", s.logs.String())
		}
	})
	waitHTTP(t, ctx, s.url("/readyz"), s.logs)
	return s
}

// do sends one request and returns the decoded JSON answer, failing the test
// unless the status is want.
func (s *service) do(t *testing.T, ctx context.Context, method, path, bearer, contentType string, body []byte, want int) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, s.url(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: got %s, want %d: %s", method, path, resp.Status, want, data)
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out) // lists and empty bodies stay nil
	return out
}

// The demo account's login at the test's fake LoTW.
const (
	demoLoTWLogin    = "n0demo"
	demoLoTWPassword = "demo-lotw-password"
)

// traffic exercises every route family the dashboards show: auth, stats and
// awards (twice, so that the caches hit), the QSO list, an ADIF import
// (which invalidates the caches), an operator invalidation, storing LoTW
// credentials and a LoTW sync of the demo account against the test's fake
// LoTW, health endpoints and an unmatched path.
func (s *service) traffic(t *testing.T, ctx context.Context, operator string) {
	t.Helper()
	adif, err := adiftest.ReadFile("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := json.Marshal(map[string]string{"callsign": "N0CALL", "password": "e2e-password"})
	s.do(t, ctx, "POST", "/api/auth/register", "", "application/json", creds, http.StatusCreated)
	own := bearerOf(t, s.do(t, ctx, "POST", "/api/auth/login", "", "application/json", creds, http.StatusOK))
	demo, _ := json.Marshal(map[string]string{"callsign": "N0DEMO", "password": "demo-password"})
	demoToken := bearerOf(t, s.do(t, ctx, "POST", "/api/auth/login", "", "application/json", demo, http.StatusOK))

	for _, tok := range []string{own, demoToken} {
		for range 3 {
			s.do(t, ctx, "GET", "/api/qsos/stats", tok, "", nil, http.StatusOK)
			s.do(t, ctx, "GET", "/api/awards", tok, "", nil, http.StatusOK)
		}
		s.do(t, ctx, "GET", "/api/qsos", tok, "", nil, http.StatusOK)
	}
	s.do(t, ctx, "POST", "/api/qsos/import", own, "text/plain", adif, http.StatusOK)
	s.do(t, ctx, "GET", "/api/qsos/stats", own, "", nil, http.StatusOK)
	s.do(t, ctx, "POST", "/api/admin/cache/invalidate", operator, "application/json", []byte(`{}`), http.StatusOK)
	s.do(t, ctx, "GET", "/api/awards", demoToken, "", nil, http.StatusOK)
	lotwCreds, _ := json.Marshal(map[string]string{"username": demoLoTWLogin, "password": demoLoTWPassword})
	s.do(t, ctx, "PUT", "/api/me/lotw", demoToken, "application/json", lotwCreds, http.StatusNoContent)
	job := s.do(t, ctx, "POST", "/api/sync/lotw", demoToken, "", nil, http.StatusAccepted)
	s.waitSyncJob(t, ctx, demoToken, job)
	s.do(t, ctx, "GET", "/api/health", "", "", nil, http.StatusOK)
	s.do(t, ctx, "GET", "/livez", "", "", nil, http.StatusOK)
	s.do(t, ctx, "GET", "/readyz", "", "", nil, http.StatusOK)
	s.do(t, ctx, "GET", "/no/such/route", "", "", nil, http.StatusNotFound)
	s.do(t, ctx, "GET", "/api/qsos/stats", "", "", nil, http.StatusUnauthorized)
}

// waitSyncJob polls a sync job until it has ended, so that the sync
// metrics have a finished run to show.
func (s *service) waitSyncJob(t *testing.T, ctx context.Context, bearer string, job map[string]any) {
	t.Helper()
	id, _ := job["id"].(string)
	if id == "" {
		t.Fatalf("sync job without an id: %v", job)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		switch job["status"] {
		case "succeeded", "failed":
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("sync job %s still %v: %v", id, job["status"], ctx.Err())
		case <-tick.C:
		}
		job = s.do(t, ctx, "GET", "/api/sync/jobs/"+url.PathEscape(id), bearer, "", nil, http.StatusOK)
	}
}

// steadyTraffic keeps a few requests a second going for d, with an import
// and an operator invalidation now and then, so that a snapshot has curves
// rather than a single burst. Only the snapshot run uses it.
func (s *service) steadyTraffic(t *testing.T, ctx context.Context, operator string, d time.Duration) {
	t.Helper()
	demo, _ := json.Marshal(map[string]string{"callsign": "N0DEMO", "password": "demo-password"})
	own, _ := json.Marshal(map[string]string{"callsign": "N0CALL", "password": "e2e-password"})
	tokens := []string{
		bearerOf(t, s.do(t, ctx, "POST", "/api/auth/login", "", "application/json", demo, http.StatusOK)),
		bearerOf(t, s.do(t, ctx, "POST", "/api/auth/login", "", "application/json", own, http.StatusOK)),
	}
	adif, err := adiftest.ReadFile("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	stop := time.After(d)
	for i := 0; ; i++ {
		tok := tokens[i%2]
		s.do(t, ctx, "GET", "/api/qsos/stats", tok, "", nil, http.StatusOK)
		s.do(t, ctx, "GET", "/api/awards", tok, "", nil, http.StatusOK)
		if i%4 == 0 {
			s.do(t, ctx, "GET", "/api/qsos", tok, "", nil, http.StatusOK)
			s.do(t, ctx, "GET", "/no/such/route", "", "", nil, http.StatusNotFound)
		}
		if i%60 == 30 {
			s.do(t, ctx, "POST", "/api/qsos/import", tokens[1], "text/plain", adif, http.StatusOK)
		}
		if i%90 == 45 {
			s.do(t, ctx, "POST", "/api/admin/cache/invalidate", operator, "application/json", []byte(`{}`), http.StatusOK)
		}
		select {
		case <-stop:
			return
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-tick.C:
		}
	}
}

func bearerOf(t *testing.T, resp map[string]any) string {
	t.Helper()
	tok, _ := resp["token"].(string)
	if tok == "" {
		t.Fatalf("no token in %v", resp)
	}
	return tok
}

// startPrometheus runs the pinned Prometheus with the repository's
// awardtracker scrape job (pointed at the service, with the operator token
// and a 1 s interval) and the repository's rule files, evaluated every
// second. No Alertmanager: the test reads alert states from Prometheus.
func startPrometheus(t *testing.T, ctx context.Context, bin, dir, target, tokenFile string) string {
	t.Helper()
	root := repoRoot(t)
	var repo prometheusConfig
	readYAML(t, filepath.Join(root, "prometheus.yml"), &repo)
	job := repo.job("awardtracker")
	if job == nil {
		t.Fatal("prometheus.yml has no awardtracker job")
	}
	job["static_configs"] = []map[string]any{{"targets": []string{target}}}
	job["scrape_interval"] = "1s"
	job["scrape_timeout"] = "1s"
	job["authorization"] = map[string]any{"type": "Bearer", "credentials_file": tokenFile}
	cfg := map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"rule_files":     []string{filepath.Join(root, "alerts", "*.yml")},
		"scrape_configs": []map[string]any{job},
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, data, 0o644); err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	logs := &lockedBuffer{}
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopProcess(cmd)
		if t.Failed() {
			t.Logf("prometheus config:\n%s\nprometheus output:\n%s", data, logs.String())
		}
	})
	base := "http://" + addr
	waitHTTP(t, ctx, base+"/-/ready", logs)
	return base
}

// promResponse is the envelope of Prometheus's query API.
type promResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type promSeries struct {
	Metric map[string]string `json:"metric"`
	Values [][2]any          `json:"values"`
	Value  [2]any            `json:"value"`
}

func promGet(t *testing.T, ctx context.Context, base, path string, params url.Values, data any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+params.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r promResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("GET %s %v: %s: %s", path, params, resp.Status, body)
	}
	if r.Status != "success" {
		t.Fatalf("GET %s %v: %s: %s", path, params, r.ErrorType, r.Error)
	}
	if err := json.Unmarshal(r.Data, data); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, r.Data)
	}
}

func queryRange(t *testing.T, ctx context.Context, base, expr string, start, end time.Time) []promSeries {
	t.Helper()
	var data struct {
		Result []promSeries `json:"result"`
	}
	promGet(t, ctx, base, "/api/v1/query_range", url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(start.Add(-time.Second).Unix(), 10)},
		"end":   {strconv.FormatInt(end.Add(time.Second).Unix(), 10)},
		"step":  {"1"},
	}, &data)
	return data.Result
}

func queryInstant(t *testing.T, ctx context.Context, base, expr string) []promSeries {
	t.Helper()
	var data struct {
		Result []promSeries `json:"result"`
	}
	promGet(t, ctx, base, "/api/v1/query", url.Values{"query": {expr}}, &data)
	return data.Result
}

func hasNumber(res []promSeries) bool {
	for _, s := range res {
		for _, v := range append(s.Values, s.Value) {
			str, _ := v[1].(string)
			if f, err := strconv.ParseFloat(str, 64); err == nil && !math.IsNaN(f) {
				return true
			}
		}
	}
	return false
}

// waitQuery polls an instant query until it returns a series.
func waitQuery(t *testing.T, ctx context.Context, base, expr, what string) {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(queryInstant(t, ctx, base, expr)) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s (%s): %v", what, expr, ctx.Err())
		case <-tick.C:
		}
	}
}

type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// waitAlert polls /api/v1/alerts until name is pending or firing, and
// returns every active alert at that moment.
func waitAlert(t *testing.T, ctx context.Context, base, name string) []promAlert {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var data struct {
			Alerts []promAlert `json:"alerts"`
		}
		// Each request gets its own budget, so that the deadline below,
		// not a cut-off request, ends the wait with a useful message.
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		promGet(t, rctx, base, "/api/v1/alerts", nil, &data)
		rcancel()
		for _, a := range data.Alerts {
			if a.Labels["alertname"] == name && (a.State == "pending" || a.State == "firing") {
				return data.Alerts
			}
		}
		select {
		case <-ctx.Done():
			shares := queryInstant(t, context.Background(), base, `instance_query:awardtracker_db_slow_queries_per_queries:ratio_rate5m`)
			t.Fatalf("%s never became pending or firing: %v; active alerts: %v; share of queries over 100 ms by query: %v (with --debug.query-delay=150ms every query should be slow: is the delay inside the measured duration?)", name, ctx.Err(), data.Alerts, shares)
		case <-tick.C:
		}
	}
}

// recordingRules lists the names the repository's rules record.
func recordingRules(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, g := range loadGroups(t) {
		for _, r := range g.Rules {
			if r.Record != "" {
				seen[r.Record] = true
			}
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkRuleHealth fails for any rule Prometheus could not evaluate.
func checkRuleHealth(t *testing.T, base string) {
	t.Helper()
	var data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	promGet(t, context.Background(), base, "/api/v1/rules", nil, &data)
	if len(data.Groups) != len(loadGroups(t)) {
		t.Errorf("Prometheus loaded %d rule groups; want %d", len(data.Groups), len(loadGroups(t)))
	}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			if r.Health != "ok" {
				t.Errorf("%s/%s: health %q: %s", g.Name, r.Name, r.Health, r.LastError)
			}
		}
	}
}
