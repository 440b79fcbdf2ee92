package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// TestMigrate_RecordKeys upgrades a database written by the previous schema
// (testdata/schema-v1.sql), in the state the old matching left it: two own
// QSOs with YO9HP 12 minutes apart merged into one, and 9A3ST on 2m SSB and
// FM merged into one. Nothing stored is lost, and importing the own log
// again brings the merged-away QSOs back without duplicating any other.
func TestMigrate_RecordKeys(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	confirmedAt := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	path := oldDatabase(t,
		// Own log, merged by the old rule, one of them confirmed by LoTW.
		stmt{`INSERT INTO qsos (user_id, station_callsign, call, start, band, mode, submode, mode_group, dxcc, source,
			lotw_confirmed, lotw_confirmed_at, created_at, updated_at) VALUES
			(1, 'N0CALL', 'YO9HP', ?, '20m', 'SSB', 'USB', 'PHONE', 275, 'log', 1, ?, 1, 1),
			(1, 'N0CALL', '9A3ST', ?, '2m', 'SSB', 'USB', 'PHONE', 497, 'log', 0, NULL, 1, 1)`,
			[]any{t0.Unix(), confirmedAt.Unix(), t0.Add(time.Hour).Unix()}},
		// A QSO only LoTW reported.
		stmt{`INSERT INTO qsos (user_id, station_callsign, call, start, band, mode, submode, mode_group, grid, source,
			lotw_confirmed, lotw_confirmed_at, created_at, updated_at) VALUES
			(1, 'N0CALL', 'K1ABC', ?, '6m', 'FT8', '', 'DATA', 'FN42', 'lotw', 1, ?, 1, 1)`,
			[]any{t0.Add(2 * time.Hour).Unix(), confirmedAt.Unix()}},
	)

	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := gormstore.NewQSOService(db.DB)
	before, n, err := s.FindQSOs(ctx, 1, awardtracker.QSOFilter{})
	if err != nil || n != 3 {
		t.Fatalf("after the upgrade: %d QSOs, %v; want the 3 stored", n, err)
	}
	if q := before[2]; q.Call != "YO9HP" || !q.LoTWConfirmed || q.LoTWConfirmedAt == nil || !q.LoTWConfirmedAt.Equal(confirmedAt) || q.Submode != "USB" {
		t.Fatalf("YO9HP after the upgrade = %+v, want it as stored", q)
	}
	// The statistics count the QSOs stored before the tallies were kept.
	st, err := gormstore.NewStatsService(db.DB).Stats(ctx, 1)
	if err != nil || st.Total != 3 || st.LoTWConfirmed != 2 || st.UniqueCallsigns != 3 || st.Modes["USB"].Total != 2 ||
		st.Bands["6m"] != (awardtracker.Count{Total: 1, Confirmed: 1}) || st.DXCC.Worked != 2 || !st.LastQSO.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("stats after the upgrade = %+v, %v; want the 3 stored QSOs counted", st, err)
	}

	// The own log, as its logger exports it.
	ssb := func(call, band string, start time.Time, mode, submode string) awardtracker.QSO {
		return awardtracker.QSO{StationCallsign: "N0CALL", Call: call, Band: band, Mode: mode, Submode: submode,
			ModeGroup: awardtracker.ModeGroupPhone, Start: start, StartSeconds: true}
	}
	ownLog := []awardtracker.QSO{
		ssb("YO9HP", "20m", t0, "SSB", "USB"),
		ssb("YO9HP", "20m", t0.Add(12*time.Minute+30*time.Second), "SSB", "USB"),
		ssb("9A3ST", "2m", t0.Add(time.Hour), "SSB", "USB"),
		ssb("9A3ST", "2m", t0.Add(time.Hour+4*time.Minute), "FM", ""),
	}
	res, err := s.ImportQSOs(ctx, 1, awardtracker.SourceLog, storetest.Records(ownLog...), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Updated != 0 || res.Duplicates != 2 {
		t.Errorf("own log again: got %+v, want the 2 merged-away QSOs imported and 2 duplicates", res)
	}
	res, err = s.ImportQSOs(ctx, 1, awardtracker.SourceLog, storetest.Records(ownLog...), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Updated != 0 || res.Duplicates != 4 {
		t.Errorf("own log a third time: got %+v, want 4 duplicates", res)
	}
	// LoTW sends its K1ABC record again: the QSO it created.
	k1abc := awardtracker.QSO{StationCallsign: "N0CALL", Call: "K1ABC", Band: "6m", Mode: "FT8", ModeGroup: awardtracker.ModeGroupData,
		Start: t0.Add(2 * time.Hour), StartSeconds: true, Grid: "FN42", LoTWConfirmed: true, LoTWConfirmedAt: &confirmedAt}
	res, err = s.ImportQSOs(ctx, 1, awardtracker.SourceLoTW, storetest.Records(k1abc), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Updated != 0 || res.Duplicates != 1 {
		t.Errorf("LoTW record again: got %+v, want 1 duplicate", res)
	}
	if _, n, _ := s.FindQSOs(ctx, 1, awardtracker.QSOFilter{}); n != 5 {
		t.Errorf("%d QSOs at the end, want 5", n)
	}
	// A full LoTW download sends both YO9HP confirmations again: each goes
	// to its own QSO, so the restored one is confirmed too.
	lotwRecs := []awardtracker.QSO{ownLog[0], ownLog[1]}
	for i := range lotwRecs {
		lotwRecs[i].LoTWConfirmed, lotwRecs[i].LoTWConfirmedAt = true, &confirmedAt
	}
	res, err = s.ImportQSOs(ctx, 1, awardtracker.SourceLoTW, storetest.Records(lotwRecs...), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Updated != 1 || res.Duplicates != 1 {
		t.Errorf("full LoTW download: got %+v, want the restored QSO confirmed (1 updated) and 1 duplicate", res)
	}
	yo, _, err := s.FindQSOs(ctx, 1, awardtracker.QSOFilter{Call: "YO9HP"})
	if err != nil || len(yo) != 2 || !yo[0].LoTWConfirmed || !yo[1].LoTWConfirmed {
		t.Errorf("YO9HP QSOs %+v, %v; want 2, both confirmed", yo, err)
	}

	// Opening the upgraded database again changes nothing.
	db.Close()
	db2, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	res, err = gormstore.NewQSOService(db2.DB).ImportQSOs(ctx, 1, awardtracker.SourceLog, storetest.Records(ownLog...), awardtracker.ImportOptions{})
	if err != nil || res.Imported != 0 || res.Duplicates != 4 {
		t.Errorf("after reopening: %+v, %v; want 4 duplicates", res, err)
	}
}

// TestMigrate_ModePairs upgrades a database of the previous schema holding
// the mode/submode pairs the old merges made: an own FT8 QSO confirmed as
// MFSK/FT4 was stored as FT8/FT4, and an own SSB QSO confirmed as FT4 as
// SSB/FT4 in the phone group. Each gets the mode its submode names (as an
// import of such a record would), valid pairs and unknown submodes stay as
// they were, and the stored statistics follow.
func TestMigrate_ModePairs(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	path := oldDatabase(t,
		stmt{`INSERT INTO qsos (user_id, station_callsign, call, start, band, mode, submode, mode_group, source, created_at, updated_at) VALUES
			(1, 'N0CALL', 'K1AAA', ?, '20m', 'FT8', 'FT4', 'DATA', 'log', 1, 1),
			(1, 'N0CALL', 'K1BBB', ?, '20m', 'SSB', 'FT4', 'PHONE', 'log', 1, 1),
			(1, 'N0CALL', 'K1CCC', ?, '20m', 'MFSK', 'FT4', 'DATA', 'log', 1, 1),
			(1, 'N0CALL', 'K1DDD', ?, '20m', 'SSB', 'USB', 'PHONE', 'log', 1, 1),
			(1, 'N0CALL', 'K1EEE', ?, '20m', 'FT8', 'NOSUCH', 'DATA', 'log', 1, 1)`,
			[]any{t0.Unix(), t0.Add(time.Minute).Unix(), t0.Add(2 * time.Minute).Unix(), t0.Add(3 * time.Minute).Unix(), t0.Add(4 * time.Minute).Unix()}},
	)

	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qsos, n, err := gormstore.NewQSOService(db.DB).FindQSOs(ctx, 1, awardtracker.QSOFilter{})
	if err != nil || n != 5 {
		t.Fatalf("after the upgrade: %d QSOs, %v; want the 5 stored", n, err)
	}
	want := map[string]string{ // call: mode/submode group, unchanged ones as stored
		"K1AAA": "MFSK/FT4 DATA", "K1BBB": "MFSK/FT4 DATA", "K1CCC": "MFSK/FT4 DATA",
		"K1DDD": "SSB/USB PHONE", "K1EEE": "FT8/NOSUCH DATA",
	}
	for _, q := range qsos {
		if got := q.Mode + "/" + q.Submode + " " + string(q.ModeGroup); got != want[q.Call] {
			t.Errorf("%s after the upgrade: got %s, want %s", q.Call, got, want[q.Call])
		}
	}
	// The tallies were recounted: the phone group lost K1BBB.
	st, err := gormstore.NewStatsService(db.DB).Stats(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 5 || st.Modes["FT4"].Total != 3 || st.Modes["USB"].Total != 1 || st.Modes["NOSUCH"].Total != 1 {
		t.Errorf("stats after the upgrade = %+v, want 5 QSOs: FT4 3, USB 1, NOSUCH 1", st)
	}
	tallied := storetest.Strings(t, db.DB.SQLDB(), "SELECT mode || '/' || submode FROM tally_modes WHERE user_id = 1 ORDER BY 1")
	if got := strings.Join(tallied, " "); got != "FT8/NOSUCH MFSK/FT4 SSB/USB" {
		t.Errorf("tallied modes: got %s, want FT8/NOSUCH MFSK/FT4 SSB/USB", got)
	}
}

// stmt is one SQL statement with its arguments.
type stmt struct {
	q    string
	args []any
}

// oldDatabase writes a database of the previous schema
// (testdata/schema-v1.sql) with user 1, N0CALL, and the rows stmts insert,
// and returns its path.
func oldDatabase(t *testing.T, stmts ...stmt) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	schema, err := os.ReadFile(filepath.Join("testdata", "schema-v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite3", path) // registered by go-sqlite3, which package sqlite links
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	stmts = append([]stmt{{string(schema), nil}, {"INSERT INTO users (id, callsign, password_hash) VALUES (1, 'N0CALL', 'hash')", nil}}, stmts...)
	for _, s := range stmts {
		if _, err := old.Exec(s.q, s.args...); err != nil {
			t.Fatalf("old state: %v", err)
		}
	}
	return path
}
