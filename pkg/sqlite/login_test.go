package sqlite_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// TestLoginAttempts_Prune: a callsign's back-off is forgotten a day after
// its last attempt when it holds no good address (made-up callsigns must
// not grow the table without bound), and after 30 days when it does.
func TestLoginAttempts_Prune(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	db := sqlitetest.Open(t, sqlite.Options{Now: func() time.Time { return now }})
	s := gormstore.NewLoginAttemptService(db.DB)
	update := func(call string, good ...string) {
		t.Helper()
		if err := s.UpdateLoginAttempts(ctx, call, func(a *awardtracker.LoginAttempts) error {
			a.Attempts++
			a.Good = append(a.Good, good...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	callsigns := func() []string {
		t.Helper()
		rows, err := db.SQLDB().QueryContext(ctx, "SELECT callsign FROM login_attempts ORDER BY callsign")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}

	update("N0GUESS")
	update("N0OWNER", "192.0.2.1/32")
	now = now.Add(25 * time.Hour)
	update("N0NEW")
	if got, want := callsigns(), []string{"N0NEW", "N0OWNER"}; !slices.Equal(got, want) {
		t.Errorf("a day later: got %v, want %v", got, want)
	}
	now = now.Add(30 * 24 * time.Hour)
	update("N0NEW")
	if got, want := callsigns(), []string{"N0NEW"}; !slices.Equal(got, want) {
		t.Errorf("31 days later: got %v, want %v", got, want)
	}
}
