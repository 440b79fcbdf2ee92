package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/prometheus/client_golang/prometheus"
)

// mustOpen opens a real SQLite file in a temporary directory.
func mustOpen(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"),
		sqlite.Options{Tracker: perf.New(prometheus.NewRegistry(), perf.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustUser(t testing.TB, db *sqlite.DB, call string) *awardtracker.User {
	t.Helper()
	u, err := sqlite.NewUserService(db).CreateUser(context.Background(), call, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// importFile imports an adiftest sample file through the real ADIF reader.
func importFile(t testing.TB, db *sqlite.DB, userID int64, src awardtracker.Source, name string) *awardtracker.ImportResult {
	t.Helper()
	f, err := adiftest.FS.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := sqlite.NewQSOService(db).ImportQSOs(context.Background(), userID, src, adif.Records(f, src), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func records(qsos ...awardtracker.QSO) iter.Seq2[awardtracker.ImportRecord, error] {
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		for i, q := range qsos {
			if !yield(awardtracker.ImportRecord{Index: i + 1, QSO: q}, nil) {
				return
			}
		}
	}
}

func qso(call string, start time.Time) awardtracker.QSO {
	return awardtracker.QSO{StationCallsign: "N0CALL", Call: call, Start: start, Band: "20m", Mode: "FT8", ModeGroup: awardtracker.ModeGroupData, DXCC: 230}
}

func TestUserService(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	s := sqlite.NewUserService(db)
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
func TestQSOService_Import_OwnLogThenLoTW(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
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

	st, err := sqlite.NewStatsService(db).Stats(ctx, u.ID)
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
	qsos, n, err := sqlite.NewQSOService(db).FindQSOs(ctx, u.ID, awardtracker.QSOFilter{Call: "K8RD"})
	if err != nil || n != 1 {
		t.Fatalf("FindQSOs(K8RD) = %d, %v; want 1", n, err)
	}
	k := qsos[0]
	if !k.LoTWConfirmed || k.LoTWConfirmedAt == nil || k.State != "VA" || k.CQZone != 5 || k.Grid != "LA33" ||
		k.LoTWConfirmedAt.Format("2006-01-02") != "2022-03-21" {
		t.Errorf("K8RD = %+v, want confirmed 2022-03-21 with state VA, CQ 5, grid LA33", k)
	}
}

func TestQSOService_Import_Matching(t *testing.T) {
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
		{"SameContact29MinLater", confirmed(qso("DL1ABC", t0.Add(29*time.Minute))), 0, 1},
		{"SameContact30MinEarlier", confirmed(qso("DL1ABC", t0.Add(-30*time.Minute))), 0, 1},
		{"31MinApart", confirmed(qso("DL1ABC", t0.Add(31*time.Minute))), 1, 0},
		{"OtherBand", func() awardtracker.QSO { q := confirmed(qso("DL1ABC", t0)); q.Band = "40m"; return q }(), 1, 0},
		{"OtherModeSameGroup", func() awardtracker.QSO {
			q := confirmed(qso("DL1ABC", t0))
			q.Mode, q.Submode = "MFSK", "FT4"
			return q
		}(), 0, 1},
		{"OtherModeGroup", func() awardtracker.QSO {
			q := confirmed(qso("DL1ABC", t0))
			q.Mode, q.ModeGroup = "CW", awardtracker.ModeGroupCW
			return q
		}(), 1, 0},
		{"OtherStation", func() awardtracker.QSO { q := confirmed(qso("DL1ABC", t0)); q.StationCallsign = "N0CALL/P"; return q }(), 1, 0},
		{"NoStationMatchesAny", func() awardtracker.QSO { q := confirmed(qso("DL1ABC", t0)); q.StationCallsign = ""; return q }(), 0, 1},
		{"CallCaseInsensitive", confirmed(qso("dl1abc", t0)), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpen(t)
			u := mustUser(t, db, "N0CALL")
			s := sqlite.NewQSOService(db)
			if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, records(qso("DL1ABC", t0)), awardtracker.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, records(tc.incoming), awardtracker.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported != tc.imported || res.Updated != tc.updated {
				t.Errorf("got %+v, want imported %d updated %d", res, tc.imported, tc.updated)
			}
		})
	}

	t.Run("ClosestCandidateWins", func(t *testing.T) {
		db := mustOpen(t)
		u := mustUser(t, db, "N0CALL")
		s := sqlite.NewQSOService(db)
		if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
			records(qso("DL1ABC", t0), qso("DL1ABC", t0.Add(50*time.Minute))), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, records(confirmed(qso("DL1ABC", t0.Add(28*time.Minute)))), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		qsos, _, _ := s.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{})
		if len(qsos) != 2 || !qsos[0].LoTWConfirmed || qsos[1].LoTWConfirmed {
			t.Errorf("got %+v, want only the 12:50 QSO confirmed", qsos)
		}
	})
}

func TestQSOService_Import_Atomic(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	u := mustUser(t, db, "N0CALL")
	s := sqlite.NewQSOService(db)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	boom := awardtracker.Errorf(awardtracker.EINVALID, "truncated")
	// 500 good records (more than one insert batch), then a fatal error.
	failing := func(yield func(awardtracker.ImportRecord, error) bool) {
		for i := range 500 {
			if !yield(awardtracker.ImportRecord{Index: i + 1, QSO: qso("DL1ABC", t0.Add(time.Duration(i)*time.Hour))}, nil) {
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
	if _, err := sqlite.NewSyncStateService(db).SyncState(ctx, u.ID, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Errorf("cursor stored after a failed import: err = %v", err)
	}
}

func TestQSOService_Import_RejectedAndCursor(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	u := mustUser(t, db, "N0CALL")
	s := sqlite.NewQSOService(db)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	stream := func(yield func(awardtracker.ImportRecord, error) bool) {
		_ = yield(awardtracker.ImportRecord{Index: 1, QSO: qso("DL1ABC", t0)}, nil) &&
			yield(awardtracker.ImportRecord{Index: 2, Err: errors.New("missing CALL")}, nil) &&
			yield(awardtracker.ImportRecord{Index: 3, QSO: qso("DL2XYZ", t0)}, nil)
	}
	cursor := "2025-01-01 10:00:00"
	res, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, stream, awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || len(res.Rejected) != 1 || res.Rejected[0] != (awardtracker.Rejection{Record: 2, Error: "missing CALL"}) {
		t.Errorf("got %+v, want 2 imported and record 2 rejected", res)
	}
	st, err := sqlite.NewSyncStateService(db).SyncState(ctx, u.ID, awardtracker.SourceLoTW)
	if err != nil || st.Cursor != cursor || st.LastSuccess == nil || !st.LastSuccess.Equal(t0) {
		t.Errorf("sync state = %+v, %v; want cursor %q, last success %v", st, err, cursor, t0)
	}
	stats, _ := sqlite.NewStatsService(db).Stats(ctx, u.ID)
	if stats.LastSync.LoTW == nil || !stats.LastSync.LoTW.Equal(t0) || stats.LastSync.DCL != nil {
		t.Errorf("lastSync = %+v, want lotw %v", stats.LastSync, t0)
	}
}

// TestIsolation checks that no service method reaches another user's rows.
func TestIsolation(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	a, b := mustUser(t, db, "N0AAA"), mustUser(t, db, "N0BBB")
	importFile(t, db, a.ID, awardtracker.SourceLog, "own-log.adi")
	s := sqlite.NewQSOService(db)

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
	sa, _ := sqlite.NewStatsService(db).Stats(ctx, a.ID)
	sb, _ := sqlite.NewStatsService(db).Stats(ctx, b.ID)
	if sa.Total != 11 || sb.Total != 12 {
		t.Errorf("totals A %d B %d, want 11 and 12", sa.Total, sb.Total)
	}
}

func TestStatsService_Stats(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	u := mustUser(t, db, "N0CALL")
	t.Run("Empty", func(t *testing.T) {
		st, err := sqlite.NewStatsService(db).Stats(ctx, u.ID)
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
		in := records(
			mk("DL1A", 230, "20m", "FT8", "", true, true, t0),
			mk("DL1A", 230, "40m", "CW", "", false, true, t0.Add(time.Hour)),
			mk("K1AB", 291, "20m", "MFSK", "FT4", true, false, t0.Add(2*time.Hour)),
			mk("Y21AB", 229, "20m", "CW", "", true, false, t0.Add(-time.Hour*24*365*30)),
			mk("ZZ9ZZ", 0, "20m", "SSB", "", false, false, t0.Add(3*time.Hour)),
		)
		if _, err := sqlite.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog, in, awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.NewStatsService(db).Stats(ctx, u.ID)
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
func TestStatsService_DXCCAgreesWithAward(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
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
	in := records(
		mk("DL1A", 230, true, false, at),                    // current, LoTW: counts everywhere
		mk("K1AB", 291, false, true, at),                    // current, DCL only: worked for the award
		mk("Y21AB", 229, true, false, at),                   // deleted (East Germany): log figures only
		mk("G1AB", 223, true, false, old),                   // before 1945-11-15 only: log figures only
		mk("F1AB", 227, true, false, old),                   // confirmed before, worked after: worked for the award
		mk("F2AB", 227, false, false, at.Add(time.Hour)),    // its QSO after 1945
		mk("JA1AB", 339, false, false, at.Add(2*time.Hour)), // worked, not confirmed
	)
	if _, err := sqlite.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog, in, awardtracker.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.NewStatsService(db).Stats(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (awardtracker.DXCCCount{Worked: 6, Confirmed: 5, Deleted: 1, Award: awardtracker.DXCCAwardCount{Worked: 4, Confirmed: 1}}); st.DXCC != want {
		t.Errorf("got %+v, want %+v", st.DXCC, want)
	}
	progress, err := award.NewService(sqlite.NewQSOService(db)).Awards(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range progress {
		if p.ID == awardtracker.AwardDXCC && (p.Worked != st.DXCC.Award.Worked || p.Confirmed != st.DXCC.Award.Confirmed) {
			t.Errorf("stats say %+v, /api/awards/dxcc worked %d confirmed %d", st.DXCC.Award, p.Worked, p.Confirmed)
		}
	}
}

func TestQSOService_FindQSOs(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	u := mustUser(t, db, "N0CALL")
	importFile(t, db, u.ID, awardtracker.SourceLog, "own-log.adi")
	importFile(t, db, u.ID, awardtracker.SourceLoTW, "lotw-report.adi")
	s := sqlite.NewQSOService(db)
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

func TestQSOService_AwardFacts(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	u := mustUser(t, db, "N0CALL")
	importFile(t, db, u.ID, awardtracker.SourceLog, "own-log.adi")
	importFile(t, db, u.ID, awardtracker.SourceLoTW, "lotw-report.adi")
	facts, err := sqlite.NewQSOService(db).AwardFacts(ctx, u.ID)
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

func TestSyncStateService(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	u := mustUser(t, db, "N0CALL")
	s := sqlite.NewSyncStateService(db)
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
}

func TestDB_SecretAndPing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
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
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if k2, _ := db.Secret(ctx, "k", 32); string(k2) != string(k1) {
		t.Error("secret changed across restarts")
	}
}

// TestDB_Ping_FileGone: a database file moved away under the process makes
// Ping fail; moving it back recovers.
func TestDB_Ping_FileGone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gone.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
		t.Errorf("Ping with the file gone: %v, want unavailable", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after the file came back: %v", err)
	}
}

// TestConcurrentWriters: imports, sign-ups and credential updates at once
// never fail with "database is locked", and no write is lost.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	qsos, users, states := sqlite.NewQSOService(db), sqlite.NewUserService(db), sqlite.NewSyncStateService(db)
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
				_, err := qsos.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, records(qso(fmt.Sprintf("K%dI%d", w, i), t0)), awardtracker.ImportOptions{})
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
