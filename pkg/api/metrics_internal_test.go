package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetrics_PanicCountsAs500: a handler that panics answers 500 and is
// counted as one.
func TestMetrics_PanicCountsAs500(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := NewServer(Config{Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	s.echo.GET("/boom", func(echo.Context) error { panic("boom") })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("got %d %q, want 500 without the panic text", rec.Code, rec.Body.String())
	}
	want := `
# HELP awardtracker_http_requests_total HTTP requests by route template, method and status code (/metrics is not counted).
# TYPE awardtracker_http_requests_total counter
awardtracker_http_requests_total{code="500",method="GET",route="/boom"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "awardtracker_http_requests_total"); err != nil {
		t.Error(err)
	}
}

// TestMetrics_Labels: each request lands on one bounded series, labelled
// route (never url or host), and nothing but the two HTTP metrics is
// registered (no request or response size histograms).
func TestMetrics_Labels(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := NewServer(Config{Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	s.echo.GET("/things/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	// A handler that has answered and then fails: the client got the 200.
	s.echo.GET("/late", func(c echo.Context) error {
		if err := c.String(http.StatusOK, "ok"); err != nil {
			return err
		}
		return errors.New("after the answer")
	})
	for _, r := range []struct{ method, target, host string }{
		{http.MethodGet, "/things/1", "a.example"},
		{http.MethodGet, "/things/2?x=1", "b.example"}, // one route, one series, whatever the host
		{http.MethodGet, "/wp-admin.php", ""},
		{"PROPFIND", "/x/y", ""},
		{http.MethodGet, "/late", ""},
		{http.MethodGet, "/metrics", ""}, // not counted
	} {
		req := httptest.NewRequest(r.method, r.target, nil)
		if r.host != "" {
			req.Host = r.host
		}
		s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}
	want := `
# HELP awardtracker_http_requests_total HTTP requests by route template, method and status code (/metrics is not counted).
# TYPE awardtracker_http_requests_total counter
awardtracker_http_requests_total{code="200",method="GET",route="/late"} 1
awardtracker_http_requests_total{code="204",method="GET",route="/things/:id"} 2
awardtracker_http_requests_total{code="404",method="GET",route="unmatched"} 1
awardtracker_http_requests_total{code="404",method="OTHER",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "awardtracker_http_requests_total"); err != nil {
		t.Error(err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
		if mf.GetName() != "awardtracker_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName())
			}
			if got := strings.Join(labels, ","); got != "method,route" {
				t.Errorf("duration labels: got %s, want method,route", got)
			}
			if m.GetHistogram().Schema == nil {
				t.Errorf("duration of %v: got no native histogram, want one beside the classic buckets", m.GetLabel())
			}
		}
	}
	if got, want := strings.Join(names, " "), "awardtracker_http_request_duration_seconds awardtracker_http_requests_total"; got != want {
		t.Errorf("registered: got %s, want %s", got, want)
	}
}

// TestMetrics_OtherMethodsBounded: whatever the router answers a method a
// route does not take (404 or 405, HEAD served by GET or not), any number
// of methods on a route adds at most the series of the known methods and
// OTHER.
func TestMetrics_OtherMethodsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := NewServer(Config{Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	// /api/health takes GET (and HEAD) only: every other method is
	// refused by the router's 405 handling, which this test crosses.
	send := func(method string) {
		s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/api/health", nil))
	}
	for m := range knownMethods {
		if m != http.MethodGet && m != http.MethodHead {
			send(m)
		}
	}
	send("BREW")
	before, err := testutil.GatherAndCount(reg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		send(fmt.Sprintf("M%d", i))
	}
	if after, err := testutil.GatherAndCount(reg); err != nil || after != before {
		t.Errorf("series after 100 unknown methods: got %d (%v), want %d", after, err, before)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				v := lp.GetValue()
				if lp.GetName() == "code" {
					codes[v] = true
				}
				switch lp.GetName() {
				case "route":
					if v != "/api/health" && v != unmatchedRoute {
						t.Errorf("%s: route %q, want the template or %q", mf.GetName(), v, unmatchedRoute)
					}
				case "method":
					if !knownMethods[v] && v != "OTHER" {
						t.Errorf("%s: method %q, want a known method or OTHER", mf.GetName(), v)
					}
				}
			}
		}
	}
	if !codes["405"] {
		t.Errorf("status codes: got %v, want 405 among them (the test should cross the 405 handling)", codes)
	}
}

// TestLogRequests_OneLinePerFailure: a request that fails with a 5xx is
// logged once, at error, with its route and the error (it was logged twice,
// by the request logger and the error handler). A 5xx the handler chose
// itself is a warning without an err.
func TestLogRequests_OneLinePerFailure(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	s, err := NewServer(Config{Registerer: reg, Gatherer: reg, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.echo.GET("/fail/:id", func(echo.Context) error { return errors.New("disk on fire") })
	s.echo.GET("/boom", func(echo.Context) error { panic("boom") })
	s.echo.GET("/busy", func(c echo.Context) error { return c.NoContent(http.StatusServiceUnavailable) })
	for _, tc := range []struct {
		target, level, route, err string
	}{
		{"/fail/7?secret=x", "ERROR", "/fail/:id", "disk on fire"},
		{"/boom", "ERROR", "/boom", "boom"},
		{"/busy", "WARN", "/busy", ""},
	} {
		logs.Reset()
		s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, tc.target, nil))
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 1 {
			t.Errorf("%s: got %d log lines, want 1:\n%s", tc.target, len(lines), logs.String())
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
			t.Fatal(err)
		}
		if line["level"] != tc.level || line["route"] != tc.route || line["status"] == nil {
			t.Errorf("%s: got %v, want level %s, route %s and a status", tc.target, line, tc.level, tc.route)
		}
		if got, _ := line["err"].(string); !strings.Contains(got, tc.err) || (tc.err == "") != (line["err"] == nil) {
			t.Errorf("%s: err %v, want %q", tc.target, line["err"], tc.err)
		}
		if got, _ := line["err"].(string); tc.target == "/boom" && !strings.Contains(got, "goroutine") {
			t.Errorf("/boom: err %q, want the panic's stack", got)
		}
		if strings.Contains(lines[0], "secret") {
			t.Errorf("%s: the raw query reached the log: %s", tc.target, lines[0])
		}
	}
}
