// Package storetest is the storage conformance suite: the same tests of
// package gormstore's services, run by package sqlite's tests on SQLite and
// by package postgres's tests on a real PostgreSQL. Only tests import it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// Opener opens a fresh, empty database for one test, closed by t.Cleanup.
type Opener func(t testing.TB) *gormstore.DB

// Run runs every test of the suite on the databases open returns, each as a
// subtest named after it.
func Run(t *testing.T, open Opener) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

var tests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"UserService", testUserService},
	{"QSOService_Import_OwnLogThenLoTW", testQSOService_Import_OwnLogThenLoTW},
	{"QSOService_Import_Matching", testQSOService_Import_Matching},
	{"QSOService_Import_Atomic", testQSOService_Import_Atomic},
	{"QSOService_Import_RejectedAndCursor", testQSOService_Import_RejectedAndCursor},
	{"Isolation", testIsolation},
	{"StatsService_Stats", testStatsService_Stats},
	{"StatsService_DXCCAgreesWithAward", testStatsService_DXCCAgreesWithAward},
	{"StatsFollowEveryWrite", testStatsFollowEveryWrite},
	{"QSOService_FindQSOs", testQSOService_FindQSOs},
	{"QSOService_AwardFacts", testQSOService_AwardFacts},
	{"SyncStateService", testSyncStateService},
	{"LoginAttemptService", testLoginAttemptService},
	{"ConcurrentWriters", testConcurrentWriters},
	{"QSOService_Import_SameSource", testQSOService_Import_SameSource},
	{"QSOService_Import_OneToOne", testQSOService_Import_OneToOne},
	{"QSOService_Import_Merge", testQSOService_Import_Merge},
	{"QSOService_Import_MergeKeepsTheRest", testQSOService_Import_MergeKeepsTheRest},
	{"QSOService_Import_FullBatches", testQSOService_Import_FullBatches},
	{"QSOService_Import_Frequencies", testQSOService_Import_Frequencies},
	{"ConcurrentImportsOneUser", testConcurrentImportsOneUser},
	{"ExportQSOs", testExportQSOs},
	{"Collector", testCollector},
}

// mustOpen opens a real SQLite file in a temporary directory.
func mustUser(t testing.TB, db *gormstore.DB, call string) *awardtracker.User {
	t.Helper()
	u, err := gormstore.NewUserService(db).CreateUser(context.Background(), call, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// importFile imports a testdata file through the real ADIF reader.
func importFile(t testing.TB, db *gormstore.DB, userID int64, src awardtracker.Source, name string) *awardtracker.ImportResult {
	t.Helper()
	f, err := adiftest.FS.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := gormstore.NewQSOService(db).ImportQSOs(context.Background(), userID, src, adif.Records(f, src), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Records yields qsos as an import stream.
func Records(qsos ...awardtracker.QSO) iter.Seq2[awardtracker.ImportRecord, error] {
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		for i, q := range qsos {
			if !yield(awardtracker.ImportRecord{Index: i + 1, QSO: q}, nil) {
				return
			}
		}
	}
}

// QSO is an FT8 QSO of N0CALL with call at start.
func QSO(call string, start time.Time) awardtracker.QSO {
	return awardtracker.QSO{StationCallsign: "N0CALL", Call: call, Start: start, Band: "20m", Mode: "FT8", ModeGroup: awardtracker.ModeGroupData, DXCC: 230}
}

func testUserService(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	s := gormstore.NewUserService(db)
	u := mustUser(t, db, "dl1abc")
	if u.Callsign != "DL1ABC" || u.ID == 0 {
		t.Fatalf("CreateUser = %+v, want DL1ABC with an id", u)
	}
	t.Run("ErrConflict", func(t *testing.T) {
		_, err := s.CreateUser(ctx, "DL1ABC", []byte("x"))
		if got := awardtracker.ErrorCode(err); got != awardtracker.ECONFLICT {
			t.Errorf("code = %q, want %q", got, awardtracker.ECONFLICT)
		}
	})
	t.Run("FindByCallsign", func(t *testing.T) {
		got, hash, err := s.FindUserByCallsign(ctx, "dl1abc")
		if err != nil || got.ID != u.ID || string(hash) != "hash" {
			t.Errorf("got %+v %q %v, want user %d", got, hash, err, u.ID)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := s.FindUserByCallsign(ctx, "K1XYZ")
		if got := awardtracker.ErrorCode(err); got != awardtracker.ENOTFOUND {
			t.Errorf("code = %q, want %q", got, awardtracker.ENOTFOUND)
		}
		_, err = s.FindUserByID(ctx, 999)
		if got := awardtracker.ErrorCode(err); got != awardtracker.ENOTFOUND {
			t.Errorf("code = %q, want %q", got, awardtracker.ENOTFOUND)
		}
	})
}

// TestQSOService_Import_OwnLogThenLoTW is the acceptance case: the
// LoTW report confirms the QSOs of the own log and adds none.
func testQSOService_Import_OwnLogThenLoTW(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")

	res := importFile(t, db, u.ID, awardtracker.SourceLog, "own-log.adi")
	if res.Imported != 12 || res.Updated != 0 || res.Duplicates != 0 || len(res.Rejected) != 0 {
		t.Fatalf("own log: got %+v, want 12 imported", res)
	}
	again := importFile(t, db, u.ID, awardtracker.SourceLog, "own-log.adi")
	if again.Imported != 0 || again.Updated != 0 || again.Duplicates != 12 {
		t.Fatalf("own log again: got %+v, want 12 duplicates", again)
	}
	lotw := importFile(t, db, u.ID, awardtracker.SourceLoTW, "lotw-report.adi")
	if lotw.Imported != 0 || lotw.Updated != 6 || lotw.Duplicates != 0 {
		t.Fatalf("lotw: got %+v, want 6 updated", lotw)
	}
	lotwAgain := importFile(t, db, u.ID, awardtracker.SourceLoTW, "lotw-report.adi")
	if lotwAgain.Imported != 0 || lotwAgain.Updated != 0 || lotwAgain.Duplicates != 6 {
		t.Fatalf("lotw again: got %+v, want 6 duplicates", lotwAgain)
	}

	st, err := gormstore.NewStatsService(db).Stats(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 12 || st.Confirmed != 6 || st.LoTWConfirmed != 6 || st.DCLConfirmed != 0 || st.UniqueCallsigns != 12 {
		t.Errorf("stats = %+v, want 12 total, 6 confirmed by LoTW, 12 calls", st)
	}
	if st.Modes["FT4"].Total == 0 || st.Modes["MFSK"].Total != 0 {
		t.Errorf("modes = %+v, want FT4 keyed by submode", st.Modes)
	}

	// The confirmation brought the partner's data: K8RD is in Virginia.
	qsos, n, err := gormstore.NewQSOService(db).FindQSOs(ctx, u.ID, awardtracker.QSOFilter{Call: "K8RD"})
	if err != nil || n != 1 {
		t.Fatalf("FindQSOs(K8RD) = %d, %v; want 1", n, err)
	}
	k := qsos[0]
	if !k.LoTWConfirmed || k.LoTWConfirmedAt == nil || k.State != "VA" || k.CQZone != 5 || k.Grid != "LA33" ||
		k.LoTWConfirmedAt.Format("2006-01-02") != "2022-03-21" {
		t.Errorf("K8RD = %+v, want confirmed 2022-03-21 with state VA, CQ 5, grid LA33", k)
	}
}

func testQSOService_Import_Matching(t *testing.T, open Opener) {
	ctx := context.Background()
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	confirmed := func(q awardtracker.QSO) awardtracker.QSO {
		at := t0.Add(48 * time.Hour)
		q.LoTWConfirmed, q.LoTWConfirmedAt = true, &at
		return q
	}
	for _, tc := range []struct {
		name     string
		incoming awardtracker.QSO
		imported int
		updated  int
	}{
		{"SameContact29MinLater", confirmed(QSO("DL1ABC", t0.Add(29*time.Minute))), 0, 1},
		{"SameContact30MinEarlier", confirmed(QSO("DL1ABC", t0.Add(-30*time.Minute))), 0, 1},
		{"31MinApart", confirmed(QSO("DL1ABC", t0.Add(31*time.Minute))), 1, 0},
		{"OtherBand", func() awardtracker.QSO { q := confirmed(QSO("DL1ABC", t0)); q.Band = "40m"; return q }(), 1, 0},
		{"OtherModeSameGroup", func() awardtracker.QSO {
			q := confirmed(QSO("DL1ABC", t0))
			q.Mode, q.Submode = "MFSK", "FT4"
			return q
		}(), 0, 1},
		{"OtherModeGroup", func() awardtracker.QSO {
			q := confirmed(QSO("DL1ABC", t0))
			q.Mode, q.ModeGroup = "CW", awardtracker.ModeGroupCW
			return q
		}(), 1, 0},
		{"OtherStation", func() awardtracker.QSO { q := confirmed(QSO("DL1ABC", t0)); q.StationCallsign = "N0CALL/P"; return q }(), 1, 0},
		{"NoStationMatchesAny", func() awardtracker.QSO { q := confirmed(QSO("DL1ABC", t0)); q.StationCallsign = ""; return q }(), 0, 1},
		{"CallCaseInsensitive", confirmed(QSO("dl1abc", t0)), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := open(t)
			u := mustUser(t, db, "N0CALL")
			s := gormstore.NewQSOService(db)
			if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, Records(QSO("DL1ABC", t0)), awardtracker.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, Records(tc.incoming), awardtracker.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported != tc.imported || res.Updated != tc.updated {
				t.Errorf("got %+v, want imported %d updated %d", res, tc.imported, tc.updated)
			}
		})
	}

	t.Run("ClosestCandidateWins", func(t *testing.T) {
		db := open(t)
		u := mustUser(t, db, "N0CALL")
		s := gormstore.NewQSOService(db)
		if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
			Records(QSO("DL1ABC", t0), QSO("DL1ABC", t0.Add(50*time.Minute))), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, Records(confirmed(QSO("DL1ABC", t0.Add(28*time.Minute)))), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		qsos, _, _ := s.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{})
		if len(qsos) != 2 || !qsos[0].LoTWConfirmed || qsos[1].LoTWConfirmed {
			t.Errorf("got %+v, want only the 12:50 QSO confirmed", qsos)
		}
	})
}

func testQSOService_Import_Atomic(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	s := gormstore.NewQSOService(db)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	boom := awardtracker.Errorf(awardtracker.EINVALID, "truncated")
	// Good records (more than two insert batches), then a fatal error.
	failing := func(yield func(awardtracker.ImportRecord, error) bool) {
		for i := range moreThanTwoBatches {
			if !yield(awardtracker.ImportRecord{Index: i + 1, QSO: QSO(fmt.Sprintf("DL%dABC", i), t0.Add(time.Duration(i)*time.Hour))}, nil) {
				return
			}
		}
		yield(awardtracker.ImportRecord{}, boom)
	}
	cursor := "2025-01-01 00:00:00"
	_, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, failing, awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: t0})
	if !errors.Is(err, boom) && awardtracker.ErrorMessage(err) != "truncated" {
		t.Fatalf("err = %v, want the stream's error", err)
	}
	if _, n, _ := s.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{}); n != 0 {
		t.Errorf("after a failed import: %d QSOs, want 0", n)
	}
	if _, err := gormstore.NewSyncStateService(db).SyncState(ctx, u.ID, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Errorf("cursor stored after a failed import: err = %v", err)
	}
}

func testQSOService_Import_RejectedAndCursor(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	s := gormstore.NewQSOService(db)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	stream := func(yield func(awardtracker.ImportRecord, error) bool) {
		_ = yield(awardtracker.ImportRecord{Index: 1, QSO: QSO("DL1ABC", t0)}, nil) &&
			yield(awardtracker.ImportRecord{Index: 2, Err: errors.New("missing CALL")}, nil) &&
			yield(awardtracker.ImportRecord{Index: 3, QSO: QSO("DL2XYZ", t0)}, nil)
	}
	cursor := "2025-01-01 10:00:00"
	res, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, stream, awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || len(res.Rejected) != 1 || res.Rejected[0] != (awardtracker.Rejection{Record: 2, Error: "missing CALL"}) {
		t.Errorf("got %+v, want 2 imported and record 2 rejected", res)
	}
	st, err := gormstore.NewSyncStateService(db).SyncState(ctx, u.ID, awardtracker.SourceLoTW)
	if err != nil || st.Cursor != cursor || st.LastSuccess == nil || !st.LastSuccess.Equal(t0) {
		t.Errorf("sync state = %+v, %v; want cursor %q, last success %v", st, err, cursor, t0)
	}
	stats, _ := gormstore.NewStatsService(db).Stats(ctx, u.ID)
	if stats.LastSync.LoTW == nil || !stats.LastSync.LoTW.Equal(t0) || stats.LastSync.DCL != nil {
		t.Errorf("lastSync = %+v, want lotw %v", stats.LastSync, t0)
	}
}

// TestIsolation checks that no service method reaches another user's rows.
func testIsolation(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	a, b := mustUser(t, db, "N0AAA"), mustUser(t, db, "N0BBB")
	importFile(t, db, a.ID, awardtracker.SourceLog, "own-log.adi")
	s := gormstore.NewQSOService(db)

	// B importing the same file gets its own copies, not A's as duplicates.
	if res := importFile(t, db, b.ID, awardtracker.SourceLog, "own-log.adi"); res.Imported != 12 {
		t.Errorf("B's import: got %+v, want 12 imported", res)
	}
	aQSOs, _, _ := s.FindQSOs(ctx, a.ID, awardtracker.QSOFilter{})
	if err := s.DeleteQSO(ctx, b.ID, aQSOs[0].ID); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Errorf("B deleting A's QSO: err = %v, want not found", err)
	}
	if _, n, _ := s.FindQSOs(ctx, a.ID, awardtracker.QSOFilter{}); n != 12 {
		t.Errorf("A has %d QSOs, want 12", n)
	}
	if err := s.DeleteQSO(ctx, a.ID, aQSOs[0].ID); err != nil {
		t.Errorf("A deleting its QSO: %v", err)
	}
	sa, _ := gormstore.NewStatsService(db).Stats(ctx, a.ID)
	sb, _ := gormstore.NewStatsService(db).Stats(ctx, b.ID)
	if sa.Total != 11 || sb.Total != 12 {
		t.Errorf("totals A %d B %d, want 11 and 12", sa.Total, sb.Total)
	}
}

func testStatsService_Stats(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	t.Run("Empty", func(t *testing.T) {
		st, err := gormstore.NewStatsService(db).Stats(ctx, u.ID)
		if err != nil || st.Total != 0 || st.FirstQSO != nil || st.Bands == nil || st.Modes == nil {
			t.Errorf("got %+v, %v; want zero stats with empty maps", st, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		at := t0
		mk := func(call string, dxcc int, band, mode, sub string, lotw, dcl bool, start time.Time) awardtracker.QSO {
			q := awardtracker.QSO{StationCallsign: "N0CALL", Call: call, Start: start, Band: band, Mode: mode, Submode: sub,
				ModeGroup: adif.ModeGroupOf(mode, sub), DXCC: dxcc}
			if lotw {
				q.LoTWConfirmed, q.LoTWConfirmedAt = true, &at
			}
			if dcl {
				q.DCLConfirmed, q.DCLConfirmedAt = true, &at
			}
			return q
		}
		in := Records(
			mk("DL1A", 230, "20m", "FT8", "", true, true, t0),
			mk("DL1A", 230, "40m", "CW", "", false, true, t0.Add(time.Hour)),
			mk("K1AB", 291, "20m", "MFSK", "FT4", true, false, t0.Add(2*time.Hour)),
			mk("Y21AB", 229, "20m", "CW", "", true, false, t0.Add(-time.Hour*24*365*30)),
			mk("ZZ9ZZ", 0, "20m", "SSB", "", false, false, t0.Add(3*time.Hour)),
		)
		if _, err := gormstore.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog, in, awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		st, err := gormstore.NewStatsService(db).Stats(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := awardtracker.Stats{Total: 5, Confirmed: 4, LoTWConfirmed: 3, DCLConfirmed: 2, UniqueCallsigns: 4,
			DXCC: awardtracker.DXCCCount{Worked: 3, Confirmed: 3, Deleted: 1, Award: awardtracker.DXCCAwardCount{Worked: 2, Confirmed: 2}}}
		if st.Total != want.Total || st.Confirmed != want.Confirmed || st.LoTWConfirmed != want.LoTWConfirmed ||
			st.DCLConfirmed != want.DCLConfirmed || st.UniqueCallsigns != want.UniqueCallsigns || st.DXCC != want.DXCC {
			t.Errorf("got %+v, want %+v", st, want)
		}
		if st.Bands["20m"] != (awardtracker.Count{Total: 4, Confirmed: 3}) || st.Bands["40m"] != (awardtracker.Count{Total: 1, Confirmed: 1}) {
			t.Errorf("bands = %+v", st.Bands)
		}
		if st.Modes["FT4"] != (awardtracker.Count{Total: 1, Confirmed: 1}) || st.Modes["CW"] != (awardtracker.Count{Total: 2, Confirmed: 2}) ||
			st.Modes["SSB"] != (awardtracker.Count{Total: 1}) {
			t.Errorf("modes = %+v", st.Modes)
		}
		if !st.FirstQSO.Equal(t0.Add(-time.Hour*24*365*30)) || !st.LastQSO.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("first/last = %v/%v", st.FirstQSO, st.LastQSO)
		}
	})
}

// TestStatsService_DXCCAgreesWithAward: the stats' DXCC award figures are
// the dxcc award's, over a log holding every case where the log figures
// differ from it, and the log figures keep their meaning.
func testStatsService_DXCCAgreesWithAward(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	mk := func(call string, dxcc int, lotw, dcl bool, start time.Time) awardtracker.QSO {
		q := awardtracker.QSO{StationCallsign: "N0CALL", Call: call, Start: start, Band: "20m", Mode: "CW",
			ModeGroup: awardtracker.ModeGroupCW, DXCC: dxcc, LoTWConfirmed: lotw, DCLConfirmed: dcl}
		if lotw {
			q.LoTWConfirmedAt = &at
		}
		if dcl {
			q.DCLConfirmedAt = &at
		}
		return q
	}
	old := time.Date(1940, 6, 1, 12, 0, 0, 0, time.UTC)
	in := Records(
		mk("DL1A", 230, true, false, at),                    // current, LoTW: counts everywhere
		mk("K1AB", 291, false, true, at),                    // current, DCL only: worked for the award
		mk("Y21AB", 229, true, false, at),                   // deleted (East Germany): log figures only
		mk("G1AB", 223, true, false, old),                   // before 1945-11-15 only: log figures only
		mk("F1AB", 227, true, false, old),                   // confirmed before, worked after: worked for the award
		mk("F2AB", 227, false, false, at.Add(time.Hour)),    // its QSO after 1945
		mk("JA1AB", 339, false, false, at.Add(2*time.Hour)), // worked, not confirmed
	)
	if _, err := gormstore.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog, in, awardtracker.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := gormstore.NewStatsService(db).Stats(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (awardtracker.DXCCCount{Worked: 6, Confirmed: 5, Deleted: 1, Award: awardtracker.DXCCAwardCount{Worked: 4, Confirmed: 1}}); st.DXCC != want {
		t.Errorf("got %+v, want %+v", st.DXCC, want)
	}
	progress, err := award.NewService(gormstore.NewQSOService(db)).Awards(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range progress {
		if p.ID == awardtracker.AwardDXCC && (p.Worked != st.DXCC.Award.Worked || p.Confirmed != st.DXCC.Award.Confirmed) {
			t.Errorf("stats say %+v, /api/awards/dxcc worked %d confirmed %d", st.DXCC.Award, p.Worked, p.Confirmed)
		}
	}
}

func testQSOService_FindQSOs(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	importFile(t, db, u.ID, awardtracker.SourceLog, "own-log.adi")
	importFile(t, db, u.ID, awardtracker.SourceLoTW, "lotw-report.adi")
	s := gormstore.NewQSOService(db)
	yes, no := true, false
	for _, tc := range []struct {
		name   string
		filter awardtracker.QSOFilter
		total  int
		page   int
	}{
		{"All", awardtracker.QSOFilter{}, 12, 12},
		{"Page", awardtracker.QSOFilter{Limit: 5, Offset: 10}, 12, 2},
		{"Band", awardtracker.QSOFilter{Band: "17m"}, 3, 3},
		{"ModeBySubmode", awardtracker.QSOFilter{Mode: "FT4"}, 6, 6},
		{"ModeFT8", awardtracker.QSOFilter{Mode: "ft8"}, 3, 3},
		{"Confirmed", awardtracker.QSOFilter{Confirmed: &yes}, 6, 6},
		{"Unconfirmed", awardtracker.QSOFilter{Confirmed: &no}, 6, 6},
		{"Call", awardtracker.QSOFilter{Call: "ja2ufa"}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qsos, total, err := s.FindQSOs(ctx, u.ID, tc.filter)
			if err != nil || total != tc.total || len(qsos) != tc.page {
				t.Fatalf("got %d of %d, %v; want %d of %d", len(qsos), total, err, tc.page, tc.total)
			}
			for i := 1; i < len(qsos); i++ {
				if qsos[i].Start.After(qsos[i-1].Start) {
					t.Errorf("not newest first at %d", i)
				}
			}
		})
	}
}

func testQSOService_AwardFacts(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	importFile(t, db, u.ID, awardtracker.SourceLog, "own-log.adi")
	importFile(t, db, u.ID, awardtracker.SourceLoTW, "lotw-report.adi")
	facts, err := gormstore.NewQSOService(db).AwardFacts(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, lotw := 0, 0
	for _, f := range facts {
		n += f.QSOs
		if f.LoTW {
			lotw += f.QSOs
		}
		if f.Latest.IsZero() {
			t.Errorf("fact %+v has no Latest", f)
		}
	}
	if n != 12 || lotw != 6 {
		t.Errorf("facts cover %d QSOs (%d LoTW), want 12 (6)", n, lotw)
	}
}

func testSyncStateService(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	u := mustUser(t, db, "N0CALL")
	s := gormstore.NewSyncStateService(db)
	if err := s.PutCredentials(ctx, u.ID, awardtracker.SourceLoTW, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	st, err := s.SyncState(ctx, u.ID, awardtracker.SourceLoTW)
	if err != nil || string(st.Credentials) != "sealed" {
		t.Fatalf("got %+v, %v", st, err)
	}
	next := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	full := time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)
	st.CredentialsInvalid, st.NextAttempt, st.LastError, st.LastFullSync = true, &next, "auth", &full
	if err := s.UpdateSyncState(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SyncState(ctx, u.ID, awardtracker.SourceLoTW); err != nil || got.LastFullSync == nil || !got.LastFullSync.Equal(full) {
		t.Errorf("LastFullSync read back as %v (%v), want %v", got.LastFullSync, err, full)
	}
	if list, _ := s.SyncStates(ctx, awardtracker.SourceLoTW); len(list) != 0 {
		t.Errorf("invalid credentials listed: %+v", list)
	}
	// New credentials clear the invalid flag and the back-off.
	if err := s.PutCredentials(ctx, u.ID, awardtracker.SourceLoTW, []byte("sealed2")); err != nil {
		t.Fatal(err)
	}
	list, _ := s.SyncStates(ctx, awardtracker.SourceLoTW)
	if len(list) != 1 || list[0].CredentialsInvalid || list[0].NextAttempt != nil || string(list[0].Credentials) != "sealed2" ||
		list[0].LastFullSync == nil { // storing credentials again does not reset the daily limit
		t.Errorf("after new credentials: %+v", list)
	}
	if err := s.UpdateSyncState(ctx, &awardtracker.SyncState{UserID: 999, Source: awardtracker.SourceDCL}); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Errorf("UpdateSyncState of unknown: %v", err)
	}

	t.Run("LastSuccess", func(t *testing.T) {
		lastSuccess := func(src awardtracker.Source) *time.Time {
			t.Helper()
			got, err := s.LastSuccess(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := lastSuccess(awardtracker.SourceLoTW); got != nil {
			t.Fatalf("LastSuccess before any sync: got %v, want nil", got)
		}
		// Two users' syncs, the later one first and with fractions of a
		// second (SQLite keeps times as text): the newest wins, and a user
		// who forgot their credentials since still counts.
		v := mustUser(t, db, "N0NEW")
		newer := time.Date(2026, 3, 1, 10, 0, 0, 500_000_000, time.UTC)
		older := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		qsos := gormstore.NewQSOService(db)
		for _, sy := range []struct {
			user int64
			at   time.Time
		}{{v.ID, newer}, {u.ID, older}} {
			cursor := sy.at.Format(time.DateTime)
			if _, err := qsos.ImportQSOs(ctx, sy.user, awardtracker.SourceLoTW, Records(), awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: sy.at}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteCredentials(ctx, v.ID, awardtracker.SourceLoTW); err != nil {
			t.Fatal(err)
		}
		if got := lastSuccess(awardtracker.SourceLoTW); got == nil || !got.Equal(newer) || got.Location() != time.UTC {
			t.Errorf("LastSuccess(lotw): got %v, want %v", got, newer)
		}
		if got := lastSuccess(awardtracker.SourceDCL); got != nil {
			t.Errorf("LastSuccess(dcl) without DCL syncs: got %v, want nil", got)
		}
	})
}

// testLoginAttemptService: a callsign's back-off reads back as written, an
// error of the update keeps nothing, and concurrent updates of one callsign
// (on PostgreSQL from several connections, as replicas would) each see the
// one before: none is lost.
func testLoginAttemptService(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	s := gormstore.NewLoginAttemptService(db)
	read := func(call string) awardtracker.LoginAttempts {
		t.Helper()
		var got awardtracker.LoginAttempts
		if err := s.UpdateLoginAttempts(ctx, call, func(a *awardtracker.LoginAttempts) error { got = *a; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read("N0CALL"); got.Attempts != 0 || !got.Next.IsZero() || len(got.Good) != 0 {
		t.Fatalf("new callsign: got %+v, want zero", got)
	}
	next := time.Date(2026, 5, 1, 12, 0, 1, 500, time.UTC)
	want := awardtracker.LoginAttempts{Attempts: 6, Next: next, Good: []string{"192.0.2.1/32", "2001:db8::/64"}}
	if err := s.UpdateLoginAttempts(ctx, "N0CALL", func(a *awardtracker.LoginAttempts) error { *a = want; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := read("N0CALL"); !reflect.DeepEqual(got, want) {
		t.Errorf("read back: got %+v, want %+v", got, want)
	}
	boom := errors.New("boom")
	err := s.UpdateLoginAttempts(ctx, "N0CALL", func(a *awardtracker.LoginAttempts) error { a.Attempts = 99; return boom })
	if !errors.Is(err, boom) {
		t.Errorf("update failing: got %v, want %v", err, boom)
	}
	if got := read("N0CALL"); got.Attempts != 6 {
		t.Errorf("after a failed update: got %d attempts, want 6 kept", got.Attempts)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("a failed update marked the database failed: %v", err)
	}
	if got := read("N0OTHER"); got.Attempts != 0 {
		t.Errorf("another callsign: got %+v, want zero", got)
	}

	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := s.UpdateLoginAttempts(ctx, "N0RACE", func(a *awardtracker.LoginAttempts) error { a.Attempts++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := read("N0RACE"); got.Attempts != n {
		t.Errorf("%d concurrent increments: got %d", n, got.Attempts)
	}
}

// TestDB_Ping_FileGone: a database file moved away under the process makes
// Ping fail; moving it back recovers.
// TestConcurrentWriters: imports, sign-ups and credential updates at once
// never fail with "database is locked", and no write is lost.
func testConcurrentWriters(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	qsos, users, states := gormstore.NewQSOService(db), gormstore.NewUserService(db), gormstore.NewSyncStateService(db)
	const writers, each = 8, 20
	errs := make(chan error, writers*each*3)
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			u, err := users.CreateUser(ctx, fmt.Sprintf("N%dW", w), []byte("x"))
			if err != nil {
				errs <- err
				return
			}
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range each {
				_, err := qsos.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, Records(QSO(fmt.Sprintf("K%dI%d", w, i), t0)), awardtracker.ImportOptions{})
				errs <- err
				errs <- states.PutCredentials(ctx, u.ID, awardtracker.SourceLoTW, []byte{byte(i)})
				_, _, err = qsos.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{})
				errs <- err
			}
		}()
	}
	for range writers {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	for w := range writers {
		u, _, _ := users.FindUserByCallsign(ctx, fmt.Sprintf("N%dW", w))
		if _, n, _ := qsos.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{}); n != each {
			t.Errorf("user %d has %d QSOs, want %d", w, n, each)
		}
	}
}

// yo9hp is a phone QSO of N0CALL with YO9HP on 20m; LoTW confirmed two of
// them 12 minutes apart in a real report.
func yo9hp(start time.Time) awardtracker.QSO {
	return awardtracker.QSO{StationCallsign: "N0CALL", Call: "YO9HP", Band: "20m", Mode: "SSB", Submode: "USB",
		ModeGroup: awardtracker.ModeGroupPhone, Start: start, StartSeconds: true, DXCC: 275}
}

func lotwConfirmed(q awardtracker.QSO) awardtracker.QSO {
	at := q.Start.Add(72 * time.Hour).Truncate(24 * time.Hour)
	q.LoTWConfirmed, q.LoTWConfirmedAt = true, &at
	return q
}

// importer imports record lists for one fresh user.
type importer struct {
	t   *testing.T
	s   *gormstore.QSOService
	uid int64
}

func newImporter(t *testing.T, open Opener) *importer {
	db := open(t)
	return &importer{t: t, s: gormstore.NewQSOService(db), uid: mustUser(t, db, "N0CALL").ID}
}

func (im *importer) run(src awardtracker.Source, qsos ...awardtracker.QSO) *awardtracker.ImportResult {
	im.t.Helper()
	res, err := im.s.ImportQSOs(context.Background(), im.uid, src, Records(qsos...), awardtracker.ImportOptions{})
	if err != nil {
		im.t.Fatal(err)
	}
	return res
}

// want checks an import's counts.
func (im *importer) want(res *awardtracker.ImportResult, imported, updated, duplicates int) {
	im.t.Helper()
	if res.Imported != imported || res.Updated != updated || res.Duplicates != duplicates {
		im.t.Errorf("import: got %d imported, %d updated, %d duplicates; want %d, %d, %d",
			res.Imported, res.Updated, res.Duplicates, imported, updated, duplicates)
	}
}

// qsos returns the user's QSOs, oldest first.
func (im *importer) qsos() []awardtracker.QSO {
	im.t.Helper()
	var qs []awardtracker.QSO
	for {
		page, total, err := im.s.FindQSOs(context.Background(), im.uid, awardtracker.QSOFilter{Offset: len(qs)})
		if err != nil {
			im.t.Fatal(err)
		}
		qs = append(qs, page...)
		if len(page) == 0 || len(qs) >= total {
			break
		}
	}
	for i, j := 0, len(qs)-1; i < j; i, j = i+1, j-1 {
		qs[i], qs[j] = qs[j], qs[i]
	}
	return qs
}

func testQSOService_Import_SameSource(t *testing.T, open Opener) {
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	hhmm := func(q awardtracker.QSO) awardtracker.QSO {
		q.Start, q.StartSeconds = q.Start.Truncate(time.Minute), false
		return q
	}
	with := func(q awardtracker.QSO, f func(*awardtracker.QSO)) awardtracker.QSO {
		f(&q)
		return q
	}
	for _, tc := range []struct {
		name       string
		src        awardtracker.Source
		first      []awardtracker.QSO // one import
		second     []awardtracker.QSO // a second import of the same source
		qsos       int
		duplicates int // in both imports together
	}{
		{"TwoQSOs12MinutesApart", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0), yo9hp(t0.Add(12*time.Minute + 30*time.Second))}, nil, 2, 0},
		{"TwoLoTWRecords12MinutesApart", awardtracker.SourceLoTW,
			[]awardtracker.QSO{lotwConfirmed(yo9hp(t0)), lotwConfirmed(yo9hp(t0.Add(12*time.Minute + 30*time.Second)))}, nil, 2, 0},
		{"SSBAndFMOn2m", awardtracker.SourceLoTW, []awardtracker.QSO{
			with(yo9hp(t0), func(q *awardtracker.QSO) { q.Call, q.Band = "9A3ST", "2m" }),
			with(yo9hp(t0.Add(5*time.Minute)), func(q *awardtracker.QSO) { q.Call, q.Band, q.Mode, q.Submode = "9A3ST", "2m", "FM", "" }),
		}, nil, 2, 0},
		{"ExactDuplicateInOneFile", awardtracker.SourceLog, []awardtracker.QSO{yo9hp(t0), yo9hp(t0)}, nil, 1, 1},
		{"FileImportedTwice", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0), yo9hp(t0.Add(12 * time.Minute))},
			[]awardtracker.QSO{yo9hp(t0), yo9hp(t0.Add(12 * time.Minute))}, 2, 2},
		{"HHMMAndHHMMSSSameMinute", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0)}, []awardtracker.QSO{hhmm(yo9hp(t0))}, 1, 1},
		{"HHMMNextMinute", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0)}, []awardtracker.QSO{hhmm(yo9hp(t0.Add(time.Minute)))}, 2, 0},
		{"SecondsDiffer", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0)}, []awardtracker.QSO{yo9hp(t0.Add(time.Second))}, 2, 0},
		{"SSBAndUSB", awardtracker.SourceLog,
			[]awardtracker.QSO{with(yo9hp(t0), func(q *awardtracker.QSO) { q.Submode = "" })}, []awardtracker.QSO{yo9hp(t0)}, 1, 0},
		{"NoStationOnOneSide", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0)}, []awardtracker.QSO{with(yo9hp(t0), func(q *awardtracker.QSO) { q.StationCallsign = "" })}, 1, 1},
		{"OtherStation", awardtracker.SourceLog,
			[]awardtracker.QSO{yo9hp(t0)}, []awardtracker.QSO{with(yo9hp(t0), func(q *awardtracker.QSO) { q.StationCallsign = "N0CALL/P" })}, 2, 0},
		{"SatellitePairTwoSecondsApart", awardtracker.SourceLog, []awardtracker.QSO{
			with(yo9hp(t0), func(q *awardtracker.QSO) { q.Band, q.PropMode, q.SatName = "2m", "SAT", "FO-29" }),
			with(yo9hp(t0.Add(2*time.Second)), func(q *awardtracker.QSO) {
				q.Band, q.Mode, q.Submode, q.PropMode, q.SatName = "2m", "FM", "", "SAT", "AO-51"
			}),
		}, nil, 2, 0},
		{"SameSatelliteQSOTwice", awardtracker.SourceLog,
			[]awardtracker.QSO{with(yo9hp(t0), func(q *awardtracker.QSO) { q.PropMode, q.SatName = "SAT", "FO-29" })},
			[]awardtracker.QSO{with(yo9hp(t0), func(q *awardtracker.QSO) { q.PropMode, q.SatName = "SAT", "FO-29" })}, 1, 1},
		{"SatelliteAndDirectSameTime", awardtracker.SourceLog,
			[]awardtracker.QSO{with(yo9hp(t0), func(q *awardtracker.QSO) { q.PropMode, q.SatName = "SAT", "FO-29" })},
			[]awardtracker.QSO{yo9hp(t0)}, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := newImporter(t, open)
			a := im.run(tc.src, tc.first...)
			dups := a.Duplicates
			if tc.second != nil {
				dups += im.run(tc.src, tc.second...).Duplicates
			}
			if got := len(im.qsos()); got != tc.qsos || dups != tc.duplicates {
				t.Errorf("got %d QSOs, %d duplicates; want %d, %d", got, dups, tc.qsos, tc.duplicates)
			}
		})
	}
}

// TestQSOService_Import_OneToOne: a QSO is linked to at most one record of
// each other source, and each record goes to the closest QSO still free.
func testQSOService_Import_OneToOne(t *testing.T, open Opener) {
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	t1 := t0.Add(12*time.Minute + 30*time.Second)

	t.Run("TwoQSOsTwoConfirmations", func(t *testing.T) {
		im := newImporter(t, open)
		im.want(im.run(awardtracker.SourceLog, yo9hp(t0), yo9hp(t1)), 2, 0, 0)
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(t0)), lotwConfirmed(yo9hp(t1))), 0, 2, 0)
		for _, q := range im.qsos() {
			if !q.LoTWConfirmed {
				t.Errorf("QSO at %v not confirmed", q.Start)
			}
		}
	})

	t.Run("TieGoesToTheEarlierThenTheOtherIsFree", func(t *testing.T) {
		// The first record is as far from both QSOs; it takes the earlier.
		// The second, closer to the earlier, takes the later: the earlier
		// is linked already.
		mid := t0.Add(t1.Sub(t0) / 2)
		im := newImporter(t, open)
		im.run(awardtracker.SourceLog, yo9hp(t0), yo9hp(t1))
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(mid)), lotwConfirmed(yo9hp(t0.Add(time.Minute)))), 0, 2, 0)
		qs := im.qsos()
		if len(qs) != 2 || !qs[0].LoTWConfirmed || !qs[1].LoTWConfirmed {
			t.Errorf("QSOs %+v, want both confirmed", qs)
		}
	})

	t.Run("ThirdRecordIsANewQSO", func(t *testing.T) {
		im := newImporter(t, open)
		im.run(awardtracker.SourceLog, yo9hp(t0))
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(t0)), lotwConfirmed(yo9hp(t0.Add(10*time.Minute)))), 1, 1, 0)
	})

	t.Run("OwnLogAfterLoTW", func(t *testing.T) {
		im := newImporter(t, open)
		im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(t0)), lotwConfirmed(yo9hp(t1)))
		// The own log to the minute (HHMM), with the frequency LoTW did not
		// report: each record finds its QSO and adds it.
		hhmm := func(q awardtracker.QSO) awardtracker.QSO {
			q.Start, q.StartSeconds, q.FreqMHz = q.Start.Truncate(time.Minute), false, 14.2
			return q
		}
		im.want(im.run(awardtracker.SourceLog, hhmm(yo9hp(t0)), hhmm(yo9hp(t1))), 0, 2, 0)
		im.want(im.run(awardtracker.SourceLog, hhmm(yo9hp(t0)), hhmm(yo9hp(t1))), 0, 0, 2)
		if n := len(im.qsos()); n != 2 {
			t.Errorf("%d QSOs, want 2", n)
		}
	})

	t.Run("OwnLogConfirmedFlagIsNoLink", func(t *testing.T) {
		// An own log's LOTW_QSL_RCVD=Y marks the QSO confirmed but links
		// no LoTW record: LoTW's record still goes to that QSO (it changes
		// nothing a user sees, so it counts as a duplicate), not to the
		// unconfirmed neighbour.
		im := newImporter(t, open)
		im.run(awardtracker.SourceLog, lotwConfirmed(yo9hp(t0)), yo9hp(t1))
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(t0))), 0, 0, 1)
		if qs := im.qsos(); len(qs) != 2 || !qs[0].LoTWConfirmed || qs[1].LoTWConfirmed {
			t.Fatalf("QSOs %+v, want 2 with only the first confirmed", qs)
		}
		// The link was stored: another record near the first QSO now goes
		// to the second, the one still free.
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(t0.Add(5*time.Minute)))), 0, 1, 0)
		if qs := im.qsos(); len(qs) != 2 || !qs[1].LoTWConfirmed {
			t.Errorf("QSOs %+v, want both confirmed", qs)
		}
	})

	t.Run("SatellitesFindTheirOwnQSO", func(t *testing.T) {
		sat := func(q awardtracker.QSO, mode, name string) awardtracker.QSO {
			q.Band, q.Mode, q.Submode, q.PropMode, q.SatName = "2m", mode, "", "SAT", name
			return q
		}
		fo29, ao51 := sat(yo9hp(t0), "SSB", "FO-29"), sat(yo9hp(t0.Add(2*time.Second)), "FM", "AO-51")
		im := newImporter(t, open)
		im.want(im.run(awardtracker.SourceLog, fo29, ao51), 2, 0, 0)
		// LoTW's records in the other order, each closer to the other QSO.
		a, f := lotwConfirmed(ao51), lotwConfirmed(fo29)
		a.Start, f.Start = t0, t0.Add(2*time.Second)
		a.PropMode, f.PropMode = "", "" // old loggers write only SAT_NAME
		im.want(im.run(awardtracker.SourceLoTW, a, f), 0, 2, 0)
		for _, q := range im.qsos() {
			if !q.LoTWConfirmed || q.PropMode != "SAT" {
				t.Errorf("%s QSO: confirmed %v, PropMode %q; want confirmed, SAT", q.SatName, q.LoTWConfirmed, q.PropMode)
			}
		}
		// A direct QSO is not confirmed by a satellite record, nor the
		// other way round.
		im.want(im.run(awardtracker.SourceDCL, func() awardtracker.QSO { q := yo9hp(t0); q.Band = "2m"; q.DCLConfirmed = true; return q }()), 1, 0, 0)
	})
}

// TestQSOService_Import_Merge: a merge keeps the own log's mode and submode
// and never makes a pair ADIF does not allow.
func testQSOService_Import_Merge(t *testing.T, open Opener) {
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	ft8 := awardtracker.QSO{StationCallsign: "N0CALL", Call: "K1ABC", Band: "20m", Mode: "FT8",
		ModeGroup: awardtracker.ModeGroupData, Start: t0, StartSeconds: true}
	ft4 := ft8
	ft4.Mode, ft4.Submode, ft4.Start = "MFSK", "FT4", t0.Add(time.Minute)

	for _, tc := range []struct {
		name          string
		first, second awardtracker.Source
		a, b          awardtracker.QSO
		mode, submode string
	}{
		{"OwnFT8ConfirmedAsFT4", awardtracker.SourceLog, awardtracker.SourceLoTW, ft8, lotwConfirmed(ft4), "FT8", ""},
		{"LoTWFT4ThenOwnFT8", awardtracker.SourceLoTW, awardtracker.SourceLog, lotwConfirmed(ft4), ft8, "FT8", ""},
		{"OwnFT4ConfirmedAsFT8", awardtracker.SourceLog, awardtracker.SourceLoTW, ft4, lotwConfirmed(ft8), "MFSK", "FT4"},
		{"SubmodeFilledFromSameMode", awardtracker.SourceLog, awardtracker.SourceLoTW,
			func() awardtracker.QSO { q := ft4; q.Submode = ""; return q }(), lotwConfirmed(ft4), "MFSK", "FT4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := newImporter(t, open)
			im.run(tc.first, tc.a)
			im.want(im.run(tc.second, tc.b), 0, 1, 0)
			qs := im.qsos()
			if len(qs) != 1 || qs[0].Mode != tc.mode || qs[0].Submode != tc.submode || !qs[0].LoTWConfirmed {
				t.Fatalf("QSOs %+v, want one confirmed %s/%s", qs, tc.mode, tc.submode)
			}
		})
	}
}

// testQSOService_Import_MergeKeepsTheRest: a confirmation changes what
// merge changes (the confirmation, empty fields filled) and keeps every
// other field of the stored QSO, its id and creation time included.
// (PostgreSQL writes a merged row back whole: bulk.replaceRows.)
func testQSOService_Import_MergeKeepsTheRest(t *testing.T, open Opener) {
	own := awardtracker.QSO{StationCallsign: "N0CALL", Call: "JA1XYZ", Band: "17m", FreqMHz: 18.1005, Mode: "CW",
		ModeGroup: awardtracker.ModeGroupCW, Start: time.Date(2023, 2, 3, 4, 5, 6, 0, time.UTC), StartSeconds: true,
		DXCC: 339, Country: "JAPAN", ITUZone: 45, DOK: "", PropMode: "", SatName: ""}
	im := newImporter(t, open)
	im.run(awardtracker.SourceLog, own)
	before := im.qsos()
	conf := lotwConfirmed(own)
	conf.FreqMHz, conf.Country, conf.Grid, conf.CQZone, conf.ITUZone = 18.1, "Japan", "PM95", 25, 44
	im.want(im.run(awardtracker.SourceLoTW, conf), 0, 1, 0)
	after := im.qsos()
	if len(before) != 1 || len(after) != 1 {
		t.Fatalf("QSOs before %d, after %d; want 1 and 1", len(before), len(after))
	}
	want := before[0]
	// LoTW's location fields replace the own log's, its frequency only
	// fills an empty one; its confirmation is added.
	want.Country, want.Grid, want.CQZone, want.ITUZone = "Japan", "PM95", 25, 44
	want.LoTWConfirmed, want.LoTWConfirmedAt = true, conf.LoTWConfirmedAt
	got := after[0]
	if got.UpdatedAt.Before(want.UpdatedAt) {
		t.Errorf("updatedAt went back: %v before %v", got.UpdatedAt, want.UpdatedAt)
	}
	want.UpdatedAt = got.UpdatedAt
	if got.LoTWConfirmedAt == nil || !got.LoTWConfirmedAt.Equal(*want.LoTWConfirmedAt) {
		t.Fatalf("lotwConfirmedAt = %v, want %v", got.LoTWConfirmedAt, want.LoTWConfirmedAt)
	}
	want.LoTWConfirmedAt = got.LoTWConfirmedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the confirmation:\n got %+v\nwant %+v", got, want)
	}
}

// moreThanTwoBatches is a number of records that fills two import batches
// and part of a third on either engine (gormstore's batches hold 200 rows
// on SQLite, 5,000 on PostgreSQL).
const moreThanTwoBatches = 10_450

// TestQSOService_Import_FullBatches confirms more QSOs than two batches
// hold, so that full batches (with their cached statements) and a partial
// one are both written.
func testQSOService_Import_FullBatches(t *testing.T, open Opener) {
	const n = moreThanTwoBatches
	t0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	own := make([]awardtracker.QSO, n)
	for i := range own {
		// A call each: matching compares a record with the QSOs of its
		// call and band, and thousands of one call would make the test
		// about that instead.
		own[i] = yo9hp(t0.Add(time.Duration(i) * time.Hour))
		own[i].Call = fmt.Sprintf("YO%dHP", i)
	}
	im := newImporter(t, open)
	im.want(im.run(awardtracker.SourceLog, own...), n, 0, 0)
	confirmations := make([]awardtracker.QSO, n)
	for i := range confirmations {
		confirmations[i] = lotwConfirmed(own[i])
	}
	im.want(im.run(awardtracker.SourceLoTW, confirmations...), 0, n, 0)
	im.want(im.run(awardtracker.SourceLoTW, confirmations...), 0, 0, n)
	qs := im.qsos()
	if len(qs) != n {
		t.Fatalf("%d QSOs, want %d", len(qs), n)
	}
	for i, q := range qs {
		if !q.LoTWConfirmed || !q.Start.Equal(own[i].Start) {
			t.Fatalf("QSO %d = %+v, want the own QSO at %v confirmed", i, q, own[i].Start)
		}
		// Ids follow the records' order, as one INSERT assigns them.
		if i > 0 && q.ID <= qs[i-1].ID {
			t.Fatalf("QSO %d: got id %d after %d, want ids ascending in the log's order", i, q.ID, qs[i-1].ID)
		}
	}
}

// TestQSOService_Import_Frequencies: a frequency reads back as the very
// float it was imported as, on a new QSO and on one a confirmation fills
// it into. (PostgreSQL's bulk statements send frequencies as text for the
// numeric column: through a float8 they would be cut to 15 digits.)
func testQSOService_Import_Frequencies(t *testing.T, open Opener) {
	freqs := []float64{14.074, 0.30000000000000004, 10368.123456789012, 1e-7, 144.174, 3.5}
	n := len(freqs)
	t0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var created, bare, filled []awardtracker.QSO
	for i, f := range freqs {
		q := yo9hp(t0.Add(time.Duration(i) * time.Hour))
		q.FreqMHz = f
		created = append(created, q)
		b := yo9hp(t0.Add(time.Duration(100+i) * time.Hour)) // no frequency
		bare = append(bare, b)
		c := lotwConfirmed(b)
		c.FreqMHz = f
		filled = append(filled, c)
	}
	im := newImporter(t, open)
	im.want(im.run(awardtracker.SourceLog, append(created, bare...)...), 2*n, 0, 0)
	im.want(im.run(awardtracker.SourceLoTW, filled...), 0, n, 0)
	qs := im.qsos()
	if len(qs) != 2*n {
		t.Fatalf("got %d QSOs, want %d", len(qs), 2*n)
	}
	for i, f := range freqs {
		if got := qs[i].FreqMHz; got != f {
			t.Errorf("imported: got %v MHz, want %v", got, f)
		}
		if got := qs[n+i].FreqMHz; got != f || !qs[n+i].LoTWConfirmed {
			t.Errorf("filled by a confirmation: got %v MHz (confirmed %v), want %v", got, qs[n+i].LoTWConfirmed, f)
		}
	}
}

// Reopen checks what must survive a restart on every engine: a server
// secret reads the same after the database is closed and opened again, and
// a closed database answers Ping with EUNAVAILABLE. open opens the same
// database on every call.
func Reopen(t *testing.T, open func() (*gormstore.DB, error)) {
	ctx := context.Background()
	db, err := open()
	if err != nil {
		t.Fatal(err)
	}
	k1, err := db.Secret(ctx, "k", 32)
	if err != nil || len(k1) != 32 {
		t.Fatalf("Secret = %x, %v", k1, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Ping(ctx); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
		t.Errorf("Ping after close: %v, want unavailable", err)
	}
	db, err = open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if k2, _ := db.Secret(ctx, "k", 32); string(k2) != string(k1) {
		t.Error("secret changed across restarts")
	}
}
