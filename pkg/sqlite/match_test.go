package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

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
	s   *sqlite.QSOService
	uid int64
}

func newImporter(t *testing.T) *importer {
	db := mustOpen(t)
	return &importer{t: t, s: sqlite.NewQSOService(db), uid: mustUser(t, db, "N0CALL").ID}
}

func (im *importer) run(src awardtracker.Source, qsos ...awardtracker.QSO) *awardtracker.ImportResult {
	im.t.Helper()
	res, err := im.s.ImportQSOs(context.Background(), im.uid, src, records(qsos...), awardtracker.ImportOptions{})
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
	qs, _, err := im.s.FindQSOs(context.Background(), im.uid, awardtracker.QSOFilter{})
	if err != nil {
		im.t.Fatal(err)
	}
	for i, j := 0, len(qs)-1; i < j; i, j = i+1, j-1 {
		qs[i], qs[j] = qs[j], qs[i]
	}
	return qs
}

func TestQSOService_Import_SameSource(t *testing.T) {
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
			im := newImporter(t)
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
func TestQSOService_Import_OneToOne(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	t1 := t0.Add(12*time.Minute + 30*time.Second)

	t.Run("TwoQSOsTwoConfirmations", func(t *testing.T) {
		im := newImporter(t)
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
		im := newImporter(t)
		im.run(awardtracker.SourceLog, yo9hp(t0), yo9hp(t1))
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(mid)), lotwConfirmed(yo9hp(t0.Add(time.Minute)))), 0, 2, 0)
		qs := im.qsos()
		if len(qs) != 2 || !qs[0].LoTWConfirmed || !qs[1].LoTWConfirmed {
			t.Errorf("QSOs %+v, want both confirmed", qs)
		}
	})

	t.Run("ThirdRecordIsANewQSO", func(t *testing.T) {
		im := newImporter(t)
		im.run(awardtracker.SourceLog, yo9hp(t0))
		im.want(im.run(awardtracker.SourceLoTW, lotwConfirmed(yo9hp(t0)), lotwConfirmed(yo9hp(t0.Add(10*time.Minute)))), 1, 1, 0)
	})

	t.Run("OwnLogAfterLoTW", func(t *testing.T) {
		im := newImporter(t)
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
		im := newImporter(t)
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
		im := newImporter(t)
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
func TestQSOService_Import_Merge(t *testing.T) {
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
			im := newImporter(t)
			im.run(tc.first, tc.a)
			im.want(im.run(tc.second, tc.b), 0, 1, 0)
			qs := im.qsos()
			if len(qs) != 1 || qs[0].Mode != tc.mode || qs[0].Submode != tc.submode || !qs[0].LoTWConfirmed {
				t.Fatalf("QSOs %+v, want one confirmed %s/%s", qs, tc.mode, tc.submode)
			}
		})
	}
}

// TestQSOService_Import_FullBatches confirms more QSOs than two batches
// hold, so that full batches (with their cached statements) and a partial
// one are both written.
func TestQSOService_Import_FullBatches(t *testing.T) {
	const n = 450
	t0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	own := make([]awardtracker.QSO, n)
	for i := range own {
		own[i] = yo9hp(t0.Add(time.Duration(i) * time.Hour))
	}
	im := newImporter(t)
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
	}
}
