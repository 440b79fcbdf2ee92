package storetest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// testStatsFollowEveryWrite checks the statistics, which the storage counts
// when QSOs are written, after every kind of write: an own log, LoTW and
// DCL confirmations that merge into its QSOs (changing the mode, the DXCC
// entity and the confirmations) or add QSOs of their own, deletes (down to
// the last QSO with a callsign), a re-import, and another user's writes in
// between. The expected statistics are counted here, in Go, from the QSOs
// the export returns, independently of how the storage counts them.
func testStatsFollowEveryWrite(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	qsos := gormstore.NewQSOService(db)
	a := mustUser(t, db, "N0STA")
	b := mustUser(t, db, "N0STB")
	rng := rand.New(rand.NewPCG(7, 11))

	check := func(step string) {
		t.Helper()
		for _, u := range []*awardtracker.User{a, b} {
			got, err := gormstore.NewStatsService(db).Stats(ctx, u.ID)
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			want := statsOfExport(t, qsos, u.ID)
			got.LastSync = want.LastSync
			if !statsEqual(got, want) {
				t.Fatalf("%s: user %s:\n got %+v\nwant %+v", step, u.Callsign, got, want)
			}
		}
	}
	imp := func(u *awardtracker.User, src awardtracker.Source, in []awardtracker.QSO) {
		t.Helper()
		if _, err := qsos.ImportQSOs(ctx, u.ID, src, Records(in...), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	check("no QSOs")
	log := randomLog(rng, 400)
	imp(a, awardtracker.SourceLog, log)
	imp(b, awardtracker.SourceLog, randomLog(rng, 50))
	check("own log")

	// LoTW confirms a third of the log, a few minutes off the logged
	// time, as FT4 where the log said MFSK, and with its own DXCC entity
	// now and then (LoTW's entity wins); and sends QSOs of its own.
	var lotw []awardtracker.QSO
	for i, q := range log {
		if i%3 != 0 {
			continue
		}
		c := q
		c.Start = q.Start.Add(time.Duration(rng.IntN(20)) * time.Minute)
		c.LoTWConfirmed, c.LoTWConfirmedAt = true, &c.Start
		if c.Mode == "MFSK" {
			c.Submode = "FT4"
		}
		if i%9 == 0 {
			c.DXCC = entities[rng.IntN(len(entities))]
		}
		lotw = append(lotw, c)
	}
	for _, q := range randomLog(rng, 30) {
		q.LoTWConfirmed, q.LoTWConfirmedAt = true, &q.Start
		lotw = append(lotw, q)
	}
	imp(a, awardtracker.SourceLoTW, lotw)
	check("LoTW confirmations")

	var dcl []awardtracker.QSO
	for i, q := range log {
		if i%4 == 1 {
			q.DCLConfirmed, q.DCLConfirmedAt = true, &q.Start
			q.DOK = "B01"
			dcl = append(dcl, q)
		}
	}
	imp(a, awardtracker.SourceDCL, dcl)
	imp(b, awardtracker.SourceLoTW, randomLog(rng, 10))
	check("DCL confirmations")

	// Delete every QSO with the first QSO's callsign, and every seventh.
	list, _, err := qsos.FindQSOs(ctx, a.ID, awardtracker.QSOFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range list {
		if q.Call == list[0].Call || i%7 == 0 {
			if err := qsos.DeleteQSO(ctx, a.ID, q.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("deletes")

	imp(a, awardtracker.SourceLog, log)
	check("own log again")
}

// entities are the DXCC codes of randomLog: 0 (unknown), current ones and
// 229, a deleted entity (East Germany).
var entities = []int{0, 1, 110, 230, 291, 229, 339}

// randomLog returns n QSOs with a small set of callsigns, bands, modes and
// entities, some of them from before the DXCC award's start date.
func randomLog(rng *rand.Rand, n int) []awardtracker.QSO {
	bands := []string{"20m", "40m", "2m"}
	modes := [][2]string{{"FT8", ""}, {"MFSK", ""}, {"MFSK", "FT4"}, {"CW", ""}, {"SSB", "USB"}}
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]awardtracker.QSO, n)
	for i := range out {
		m := modes[rng.IntN(len(modes))]
		start := t0.Add(time.Duration(rng.IntN(5*365*24)) * time.Hour)
		if rng.IntN(20) == 0 {
			start = time.Date(1940+rng.IntN(10), 6, 1, rng.IntN(24), 0, 0, 0, time.UTC)
		}
		out[i] = awardtracker.QSO{StationCallsign: "N0ST", Call: "K" + string(rune('A'+rng.IntN(26))) + "1ST",
			Start: start, Band: bands[rng.IntN(len(bands))], Mode: m[0], Submode: m[1],
			ModeGroup: adif.ModeGroupOf(m[0], m[1]), DXCC: entities[rng.IntN(len(entities))]}
	}
	return out
}

// statsOfExport counts the statistics of the user's exported QSOs.
func statsOfExport(t *testing.T, qsos *gormstore.QSOService, userID int64) *awardtracker.Stats {
	t.Helper()
	st := &awardtracker.Stats{Bands: map[string]awardtracker.Count{}, Modes: map[string]awardtracker.Count{}}
	calls := map[string]bool{}
	type entity struct{ conf, award, awardLoTW bool }
	dxcc := map[int]*entity{}
	for q, err := range qsos.ExportQSOs(context.Background(), userID, awardtracker.ExportFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		conf := 0
		if q.LoTWConfirmed || q.DCLConfirmed {
			conf = 1
		}
		st.Total++
		st.Confirmed += conf
		if q.LoTWConfirmed {
			st.LoTWConfirmed++
		}
		if q.DCLConfirmed {
			st.DCLConfirmed++
		}
		mode := q.Mode
		if q.Submode != "" {
			mode = q.Submode
		}
		bc, mc := st.Bands[q.Band], st.Modes[mode]
		st.Bands[q.Band] = awardtracker.Count{Total: bc.Total + 1, Confirmed: bc.Confirmed + conf}
		st.Modes[mode] = awardtracker.Count{Total: mc.Total + 1, Confirmed: mc.Confirmed + conf}
		calls[q.Call] = true
		start := q.Start
		if st.FirstQSO == nil || start.Before(*st.FirstQSO) {
			st.FirstQSO = &start
		}
		if st.LastQSO == nil || start.After(*st.LastQSO) {
			st.LastQSO = &start
		}
		if q.DXCC > 0 {
			e := dxcc[q.DXCC]
			if e == nil {
				e = &entity{}
				dxcc[q.DXCC] = e
			}
			e.conf = e.conf || conf == 1
			if !q.Start.Before(awardtracker.DXCCStart) {
				e.award = true
				e.awardLoTW = e.awardLoTW || q.LoTWConfirmed
			}
		}
	}
	st.UniqueCallsigns = len(calls)
	for code, e := range dxcc {
		st.DXCC.Worked++
		if e.conf {
			st.DXCC.Confirmed++
		}
		ref, known := adif.DXCCEntity(code)
		switch {
		case known && ref.Deleted:
			st.DXCC.Deleted++
		case known && e.award:
			st.DXCC.Award.Worked++
			if e.awardLoTW {
				st.DXCC.Award.Confirmed++
			}
		}
	}
	return st
}

func statsEqual(a, b *awardtracker.Stats) bool {
	eqTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	eqMap := func(x, y map[string]awardtracker.Count) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if y[k] != v {
				return false
			}
		}
		return true
	}
	return a.Total == b.Total && a.Confirmed == b.Confirmed && a.LoTWConfirmed == b.LoTWConfirmed &&
		a.DCLConfirmed == b.DCLConfirmed && a.UniqueCallsigns == b.UniqueCallsigns && a.DXCC == b.DXCC &&
		eqTime(a.FirstQSO, b.FirstQSO) && eqTime(a.LastQSO, b.LastQSO) && eqMap(a.Bands, b.Bands) && eqMap(a.Modes, b.Modes)
}
