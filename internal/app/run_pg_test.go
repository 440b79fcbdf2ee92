package app_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// TestRun_FailsAfterSyncer_PostgreSQL: a Run that fails after building the
// syncer (here on a bad rate limit, before the API server) stops what it
// built, River's client and its pool included: no connection to the
// database stays open.
func TestRun_FailsAfterSyncer_PostgreSQL(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	m := app.New(app.Config{DBURL: dsn, RateAuth: "5/fortnight"}, nil, nil)
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "5/fortnight") {
		t.Fatalf("got %v, want an error naming 5/fortnight", err)
	}
	if m.Syncer == nil {
		t.Fatal("Run failed before building the syncer: the test no longer tests that")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A closed connection leaves pg_stat_activity a moment after the
	// client hung up: poll (a minute is a hang, not a threshold).
	var open int
	for deadline := time.Now().Add(time.Minute); ; {
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if open != 0 {
		t.Errorf("connections left open after the failed Run: got %d, want 0", open)
	}
}
