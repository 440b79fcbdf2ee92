package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// testConcurrentImportsOneUser: the same log imported by several clients
// at once (several replicas, on PostgreSQL) stores each QSO once. Matching
// reads the user's QSOs and then writes; without the engine's per-user
// serialisation two imports would both see the records as new.
func testConcurrentImportsOneUser(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	s := gormstore.NewQSOService(db)
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var log []awardtracker.QSO
	for i := range 50 {
		log = append(log, QSO(fmt.Sprintf("K%dAA", i), t0.Add(time.Duration(i)*time.Hour)))
	}
	const clients = 4
	results := make([]*awardtracker.ImportResult, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			results[c], errs[c] = s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, Records(log...), awardtracker.ImportOptions{})
		})
	}
	wg.Wait()
	imported, duplicates := 0, 0
	for c := range clients {
		if errs[c] != nil {
			t.Fatalf("import %d: %v", c, errs[c])
		}
		imported += results[c].Imported
		duplicates += results[c].Duplicates
	}
	_, n, err := s.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(log) || imported != len(log) || duplicates != (clients-1)*len(log) {
		t.Errorf("got %d QSOs stored, %d imported, %d duplicates; want %d, %d, %d",
			n, imported, duplicates, len(log), len(log), (clients-1)*len(log))
	}
}

// testExportQSOs: the export streams the user's QSOs oldest first, with
// the filters and since.
func testExportQSOs(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	other := mustUser(t, db, "N1OTHER")
	s := gormstore.NewQSOService(db)
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
		Records(QSO("K3CC", t0.Add(2*time.Hour)), QSO("K1AA", t0), QSO("K2BB", t0.Add(time.Hour))), awardtracker.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportQSOs(ctx, other.ID, awardtracker.SourceLog, Records(QSO("K9ZZ", t0)), awardtracker.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := func(f awardtracker.ExportFilter) string {
		var got []string
		for q, err := range s.ExportQSOs(ctx, u.ID, f) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, q.Call)
		}
		return strings.Join(got, " ")
	}
	if got, want := calls(awardtracker.ExportFilter{}), "K1AA K2BB K3CC"; got != want {
		t.Errorf("export: got %q, want %q", got, want)
	}
	if got, want := calls(awardtracker.ExportFilter{Since: t0.Add(time.Hour)}), "K2BB K3CC"; got != want {
		t.Errorf("export since: got %q, want %q", got, want)
	}
}

// testCollector: the awardtracker_db_* metrics read the engine's state.
func testCollector(t *testing.T, open Opener) {
	db := open(t)
	mustUser(t, db, "N0CALL") // one successful write
	want := `
# HELP awardtracker_db_up Whether the database is usable (1) or not (0): its file is the one opened, the last write did not fail for want of storage, and it answers a query.
# TYPE awardtracker_db_up gauge
awardtracker_db_up 1
# HELP awardtracker_db_writable Whether the last database write succeeded (1), or failed because the disk is full, an I/O error, or the file is read-only, missing or replaced (0).
# TYPE awardtracker_db_writable gauge
awardtracker_db_writable 1
`
	if err := testutil.CollectAndCompare(db.Collector(), strings.NewReader(want), "awardtracker_db_up", "awardtracker_db_writable"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(db.Collector(), "awardtracker_db_write_failures_total"); n != len(gormstore.FailureReasons) {
		t.Errorf("got %d write failure series, want %d", n, len(gormstore.FailureReasons))
	}
}

// Strings runs query on db and returns its rows' one text column (e.g. a
// catalog's index names, for the engines' schema tests).
func Strings(t testing.TB, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
