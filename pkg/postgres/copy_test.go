package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// TestCopy_FromSQLite: a SQLite database moved to PostgreSQL keeps user
// ids, password hashes, QSOs (with their record keys: the same log
// imported again adds nothing), sync states and the token signing key;
// new rows get ids after the copied ones; a second copy is refused.
func TestCopy_FromSQLite(t *testing.T) {
	ctx := context.Background()
	src := sqlitetest.Open(t, sqlite.Options{})
	srcUsers, srcQSOs := gormstore.NewUserService(src.DB), gormstore.NewQSOService(src.DB)
	// A deleted first user: ids in the copy are not simply 1, 2, 3.
	gone, _ := srcUsers.CreateUser(ctx, "N0GONE", []byte("h0"))
	var users []*awardtracker.User
	t0 := time.Date(2023, 5, 1, 9, 0, 0, 0, time.UTC)
	var log []awardtracker.QSO
	for i := range 1234 { // several copy batches
		log = append(log, storetest.QSO(fmt.Sprintf("K%dX", i), t0.Add(time.Duration(i)*time.Minute*41)))
	}
	for i := range 3 {
		u, err := srcUsers.CreateUser(ctx, fmt.Sprintf("N%dCOPY", i), []byte(fmt.Sprintf("hash-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
		if _, err := srcQSOs.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, storetest.Records(log[:400*(i+1)]...), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	conf := log[7]
	conf.LoTWConfirmed, conf.DXCC = true, 291
	cursor := "2024-01-01"
	if _, err := srcQSOs.ImportQSOs(ctx, users[0].ID, awardtracker.SourceLoTW, storetest.Records(conf),
		awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := gormstore.NewSyncStateService(src.DB).PutCredentials(ctx, users[1].ID, awardtracker.SourceLoTW, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	key, err := src.Secret(ctx, "token_signing_key", 32)
	if err != nil {
		t.Fatal(err)
	}
	_ = gone // its id stays taken in the copy's sequence too

	dst, err := postgres.Open(ctx, pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.Secret(ctx, "token_signing_key", 32); err != nil { // as a service started on it would
		t.Fatal(err)
	}
	n, err := gormstore.Copy(ctx, src.DB, dst)
	if err != nil {
		t.Fatal(err)
	}
	if want := (gormstore.CopyCounts{Users: 4, QSOs: 2400, SyncStates: 2}); n.Users != want.Users || n.QSOs != want.QSOs || n.SyncStates != want.SyncStates {
		t.Errorf("copied %+v, want %+v", *n, want)
	}

	dstUsers, dstQSOs := gormstore.NewUserService(dst), gormstore.NewQSOService(dst)
	for _, u := range users {
		got, hash, err := dstUsers.FindUserByCallsign(ctx, u.Callsign)
		if err != nil {
			t.Fatal(err)
		}
		_, wantHash, _ := srcUsers.FindUserByCallsign(ctx, u.Callsign)
		// PostgreSQL keeps timestamps to the microsecond, SQLite to the
		// nanosecond.
		if got.ID != u.ID || string(hash) != string(wantHash) || !got.CreatedAt.Equal(u.CreatedAt.Truncate(time.Microsecond)) {
			t.Errorf("user %s: got id %d, hash %q, created %v; want %d, %q, %v", u.Callsign, got.ID, hash, got.CreatedAt, u.ID, wantHash, u.CreatedAt)
		}
		want, err := gormstore.NewStatsService(src.DB).Stats(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		stats, err := gormstore.NewStatsService(dst).Stats(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stats, want) {
			t.Errorf("stats of %s: got %+v, want %+v", u.Callsign, stats, want)
		}
	}
	if got, _ := dst.Secret(ctx, "token_signing_key", 32); string(got) != string(key) {
		t.Error("the token signing key was not copied")
	}
	st, err := gormstore.NewSyncStateService(dst).SyncState(ctx, users[1].ID, awardtracker.SourceLoTW)
	if err != nil || string(st.Credentials) != "sealed" {
		t.Errorf("sync state: got %+v, %v; want the sealed credentials", st, err)
	}
	// The record keys came along: the log again is all duplicates.
	res, err := dstQSOs.ImportQSOs(ctx, users[2].ID, awardtracker.SourceLog, storetest.Records(log[:1200]...), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Duplicates != 1200 {
		t.Errorf("re-import after the copy: got %d imported, %d duplicates; want 0, 1200", res.Imported, res.Duplicates)
	}
	// New rows continue after the copied ids.
	u, err := dstUsers.CreateUser(ctx, "N9NEW", []byte("h"))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID <= users[2].ID {
		t.Errorf("new user id %d, want more than %d", u.ID, users[2].ID)
	}
	res, err = dstQSOs.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, storetest.Records(log[0]), awardtracker.ImportOptions{})
	if err != nil || res.Imported != 1 {
		t.Errorf("import after the copy: %+v, %v", res, err)
	}
	if _, err := gormstore.Copy(ctx, src.DB, dst); awardtracker.ErrorCode(err) != awardtracker.ECONFLICT {
		t.Errorf("second copy: got %v, want a conflict", err)
	}
}

// TestCopy_KeyRanges: every table is read in key ranges, one batch after
// the previous one's last key; sync states, keyed by user and source, and
// settings span several batches here, and each row arrives exactly once.
func TestCopy_KeyRanges(t *testing.T) {
	ctx := context.Background()
	src := sqlitetest.Open(t, sqlite.Options{})
	users, states := gormstore.NewUserService(src.DB), gormstore.NewSyncStateService(src.DB)
	const n = 300 // 600 sync states: two batches, the boundary inside one user's pair
	for i := range n {
		u, err := users.CreateUser(ctx, fmt.Sprintf("N%dKR", i), []byte("h"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []awardtracker.Source{awardtracker.SourceLoTW, awardtracker.SourceDCL} {
			if err := states.PutCredentials(ctx, u.ID, s, fmt.Appendf(nil, "%d-%s", u.ID, s)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := src.Secret(ctx, fmt.Sprintf("test_secret_%04d", i), 8); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := postgres.Open(ctx, pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := gormstore.Copy(ctx, src.DB, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Users != n || got.SyncStates != 2*n || got.Settings < n {
		t.Errorf("copied %+v, want %d users, %d sync states, at least %d settings", *got, n, 2*n, n)
	}
	dstStates := gormstore.NewSyncStateService(dst)
	for _, s := range []awardtracker.Source{awardtracker.SourceLoTW, awardtracker.SourceDCL} {
		list, err := dstStates.SyncStates(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for _, st := range list {
			if want := fmt.Sprintf("%d-%s", st.UserID, s); string(st.Credentials) != want || seen[st.UserID] {
				t.Errorf("%s state of user %d: got %q (seen before: %v), want %q once", s, st.UserID, st.Credentials, seen[st.UserID], want)
			}
			seen[st.UserID] = true
		}
		if len(seen) != n {
			t.Errorf("%s states: got %d users, want %d", s, len(seen), n)
		}
	}
}
