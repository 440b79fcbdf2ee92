package main

import (
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// TestFleet_CacheInvalidation: two services on one PostgreSQL database.
// Statistics cached on B show an import made through A once B has received
// A's notification (B's received counter, not a clock, says when).
func TestFleet_CacheInvalidation(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, stopA := serve(t, "--db.url="+dsn)
	b, stopB := serve(t, "--db.url="+dsn)
	defer stopA()
	defer stopB()
	tok := register(t, a, "N0FLT")

	var stats struct{ Total int }
	if st := call(t, "GET", b+"/api/qsos/stats", tok, nil, &stats); st != 200 || stats.Total != 0 {
		t.Fatalf("B stats: got %d, total %d; want 200, total 0", st, stats.Total)
	}
	if st := importADIF(t, a, tok, 50); st != 200 {
		t.Fatalf("import on A: %d", st)
	}
	const applied = `awardtracker_cache_notifications_received_total{outcome="applied"} 1`
	// Polls B's counter: across the HTTP boundary there is no clock to
	// inject and nothing to wait on but the counter. The minute is a
	// failsafe; delivery takes milliseconds.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(scrape(t, b), applied); {
		if time.Now().After(deadline) {
			t.Fatalf("B never counted A's notification:\n%s", grepLines(scrape(t, b), "awardtracker_cache_"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := call(t, "GET", b+"/api/qsos/stats", tok, nil, &stats); st != 200 || stats.Total != 50 {
		t.Errorf("B stats after the notification: got %d, total %d; want 200, total 50", st, stats.Total)
	}
	if m := scrape(t, a); !strings.Contains(m, "awardtracker_cache_notifications_sent_total 1") {
		t.Errorf("A did not count its notification:\n%s", grepLines(m, "awardtracker_cache_notifications"))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
