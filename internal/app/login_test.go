package app_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestLoginBackoff_Fleet: two services on one PostgreSQL database share
// each callsign's login back-off, so that failures counted on one replica
// throttle the other and N replicas do not give a guesser N times the
// attempts. Before, each process counted its own: B let its own 5 free
// attempts through.
func TestLoginBackoff_Fleet(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	// A clock that stands still: the back-off's waits never run out
	// while the test runs, however slow the machine.
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	edit := func(c *app.Config) { c.DBURL, c.Now = dsn, func() time.Time { return now } }
	a, b := mustRun(t, edit), mustRun(t, edit)
	if _, _, err := a.Auth.Register(ctx, "N0FLT", "correct horse"); err != nil {
		t.Fatal(err)
	}

	const guesser = "192.0.2.7"
	for i := range auth.DefaultFreeLoginFailures {
		if _, _, err := a.Auth.LoginFrom(ctx, guesser, "N0FLT", "wrong guess"); awardtracker.ErrorCode(err) != awardtracker.EUNAUTHORIZED {
			t.Fatalf("free attempt %d through A: got %v, want %s", i+1, err, awardtracker.EUNAUTHORIZED)
		}
	}
	// The next one, through B, is beyond the free ones: let through, and
	// it starts the back-off.
	if _, _, err := b.Auth.LoginFrom(ctx, guesser, "N0FLT", "wrong guess"); awardtracker.ErrorCode(err) != awardtracker.EUNAUTHORIZED {
		t.Fatalf("first attempt beyond the free ones, through B: got %v, want %s", err, awardtracker.EUNAUTHORIZED)
	}
	// Both replicas now make every client without a good login wait, the
	// right password included, over HTTP as the API answers.
	for name, m := range map[string]*app.Main{"A": a, "B": b} {
		resp, err := http.Post(m.URL()+"/api/auth/login", "application/json",
			strings.NewReader(`{"callsign":"N0FLT","password":"correct horse"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("login through %s: got %d, Retry-After %q; want 429, 1", name, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if got := get(t, b.URL()+"/metrics"); !strings.Contains(got, `awardtracker_auth_throttled_total{reason="backoff"} 1`) {
		t.Errorf("B's backoff refusals: got\n%s\nwant 1", grep(got, "awardtracker_auth_throttled_total"))
	}
}

// TestLoginBackoff_SQLite: one SQLite process keeps the back-off in memory,
// as before; the database has no row of it.
func TestLoginBackoff_SQLite(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	m := mustRun(t, func(c *app.Config) { c.Now = func() time.Time { return now } })
	if _, _, err := m.Auth.Register(ctx, "N0ONE", "correct horse"); err != nil {
		t.Fatal(err)
	}
	for i := range auth.DefaultFreeLoginFailures + 1 {
		if _, _, err := m.Auth.LoginFrom(ctx, "192.0.2.7", "N0ONE", "wrong guess"); awardtracker.ErrorCode(err) != awardtracker.EUNAUTHORIZED {
			t.Fatalf("attempt %d: got %v, want %s", i+1, err, awardtracker.EUNAUTHORIZED)
		}
	}
	if _, _, err := m.Auth.LoginFrom(ctx, "192.0.2.7", "N0ONE", "wrong guess"); awardtracker.ErrorCode(err) != awardtracker.ETOOMANY {
		t.Errorf("attempt past the free ones, at once: got %v, want %s", err, awardtracker.ETOOMANY)
	}
	var rows int64
	if err := m.DB.SQLDB().QueryRowContext(ctx, "SELECT count(*) FROM login_attempts").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("login_attempts rows on SQLite: got %d (%v), want 0", rows, err)
	}
}

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
