package sqlitetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// TestOpen: each call gets its own empty, migrated database opened with
// the options given, and it is closed once the test is over.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var first *sqlite.DB
	t.Run("Open", func(t *testing.T) {
		first = sqlitetest.Open(t, sqlite.Options{Now: func() time.Time { return now }})
		u, err := sqlite.NewUserService(first).CreateUser(ctx, "N0CALL", []byte("hash"))
		if err != nil {
			t.Fatal(err)
		}
		if !u.CreatedAt.Equal(now) {
			t.Errorf("CreatedAt %v, want %v from Options.Now", u.CreatedAt, now)
		}
		second := sqlitetest.Open(t, sqlite.Options{})
		if _, err := sqlite.NewUserService(second).FindUserByID(ctx, u.ID); err == nil {
			t.Errorf("second database holds user %d of the first", u.ID)
		}
	})
	// The pool, not the storage's Ping: the file is gone with the test's
	// directory by now, which would fail that Ping even on an open database.
	if err := first.SQLDB().PingContext(ctx); err == nil {
		t.Error("database still open after the test that opened it ended")
	}
}
