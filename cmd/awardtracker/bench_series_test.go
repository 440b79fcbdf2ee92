package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/bench"
)

// TestBenchSeriesMatchService: the benchmark suite's service exports the
// metric families the service run by this command does, so that the
// scrape row of `make bench` measures production's /metrics. Before
// internal/app, the bench wired its own copy, without the version
// collector, the syncer's metrics or the auth metrics.
func TestBenchSeriesMatchService(t *testing.T) {
	// The same requests on both sides: families of labelled metrics appear
	// once something has been counted.
	families := func(do func(path string) string) []string {
		do("/api/health")
		do("/metrics")
		var names []string
		for line := range strings.Lines(do("/metrics")) {
			if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
				names = append(names, strings.Fields(f)[0])
			}
		}
		slices.Sort(names)
		return names
	}

	url, _ := startService(t)
	service := families(func(path string) string { return getBody(t, url+path) })

	m, err := bench.Open(context.Background(), bench.Options{DBPath: filepath.Join(t.TempDir(), "bench.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	h := m.Server.Handler()
	benched := families(func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Body.String()
	})

	if len(service) < 50 {
		t.Fatalf("the service exports only %d families: %v", len(service), service)
	}
	for _, name := range []string{"awardtracker_build_info", "awardtracker_sync_in_progress"} {
		if !slices.Contains(service, name) {
			t.Errorf("the service lacks %s", name)
		}
	}
	if !slices.Equal(benched, service) {
		t.Errorf("families differ\nonly in the bench: %v\nonly in the service: %v", minus(benched, service), minus(service, benched))
	}
}

// minus is what a has and b lacks.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
