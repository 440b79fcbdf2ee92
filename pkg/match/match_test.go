package match_test

import (
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/match"
)

func TestFormatKey_RoundTrip(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	for _, k := range []awardtracker.RecordKey{
		{Station: "N0CALL", Call: "YO9HP", Band: "20m", Mode: "SSB", Start: t0, Seconds: true},
		{Call: "R3LO", Band: "13cm", Mode: "SSB", PropMode: "SAT", SatName: "QO-100", Start: t0.Truncate(time.Minute)},
		{Call: "K1ABC", Band: "2m", Mode: "FM", SatName: "ODD|NAME", Start: t0},
		{Call: "X", Band: "6m", Mode: "FT8", Start: time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		s := match.FormatKey(k)
		got, ok := match.ParseKey(s)
		if !ok || got != k {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v", s, got, ok, k)
		}
	}
	for _, bad := range []string{"", "x|s|A|B|C|D|E|F", "1|h|A|B|C|D|E|F", "1|s|A|B|C"} {
		if k, ok := match.ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) = %+v, true; want false", bad, k)
		}
	}
}

// TestIndex_Find: the decisions in one table, without storage. The storage
// suite (gormstore/storetest) checks the same rules through real imports on
// both engines.
func TestIndex_Find(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	rec := func(call string, start time.Time, group awardtracker.ModeGroup) awardtracker.QSO {
		return awardtracker.QSO{Call: call, Band: "20m", Mode: "SSB", ModeGroup: group, Start: start, StartSeconds: true}
	}
	entry := func(id int64, start time.Time, key string) *match.Entry {
		return &match.Entry{ID: id, Start: start.Unix(), Group: string(awardtracker.ModeGroupPhone), Key: key}
	}
	key := func(q awardtracker.QSO) string { return match.FormatKey(q.Key()) }
	sameRecord := rec("YO9HP", t0, awardtracker.ModeGroupPhone)
	hhmm := rec("YO9HP", t0.Add(59*time.Second), awardtracker.ModeGroupPhone)
	hhmm.StartSeconds = false
	for _, tc := range []struct {
		name    string
		entries []*match.Entry
		q       awardtracker.QSO
		wantID  int64 // 0: a new QSO
		wantDup bool
	}{
		{"empty index", nil, sameRecord, 0, false},
		{"closest wins", []*match.Entry{entry(1, t0.Add(-20*time.Minute), ""), entry(2, t0.Add(5*time.Minute), "")}, sameRecord, 2, false},
		{"tie goes to the earlier", []*match.Entry{entry(2, t0.Add(5*time.Minute), ""), entry(1, t0.Add(-5*time.Minute), "")}, sameRecord, 1, false},
		// Two QSOs at the same time, listed newest first (the order the
		// storage read them in): the one stored first wins, and a stored
		// one before one this import has not written yet.
		{"same start goes to the stored first", []*match.Entry{entry(7, t0, ""), entry(3, t0, "")}, sameRecord, 3, false},
		{"same start: stored before new", []*match.Entry{entry(0, t0, ""), entry(9, t0, "")}, sameRecord, 9, false},
		{"outside 30 minutes", []*match.Entry{entry(1, t0.Add(31*time.Minute), "")}, sameRecord, 0, false},
		{"other mode group", []*match.Entry{entry(1, t0, "")}, rec("YO9HP", t0, awardtracker.ModeGroupCW), 0, false},
		{"one to one: linked QSO skipped", []*match.Entry{entry(1, t0, key(rec("YO9HP", t0.Add(time.Minute), "")))}, sameRecord, 0, false},
		{"same record again is a duplicate", []*match.Entry{entry(1, t0, key(sameRecord))}, sameRecord, 1, true},
		// A record linked at the edge of the window, logged as HHMM,
		// sent again: still its QSO's duplicate.
		{"record linked 30 minutes off is a duplicate", []*match.Entry{entry(1, t0.Add(-30*time.Minute), key(hhmm))}, hhmm, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := match.Index{}
			for _, e := range tc.entries {
				idx.Add(e, "YO9HP", "20m")
			}
			q := tc.q
			match.Normalise(&q)
			e, dup := idx.Find(&q, q.Key())
			var got int64
			if e != nil {
				got = e.ID
			}
			if got != tc.wantID || dup != tc.wantDup {
				t.Errorf("Find = QSO %d, duplicate %v; want QSO %d, duplicate %v", got, dup, tc.wantID, tc.wantDup)
			}
		})
	}
}

// BenchmarkIndex_Find_OnePartner: a log of 10,000 QSOs with one partner on
// one band, every one linked to its record; each Find looks for a record
// that is none of them.
func BenchmarkIndex_Find_OnePartner(b *testing.B) {
	t0 := time.Date(2014, 1, 1, 12, 0, 0, 0, time.UTC)
	idx := match.Index{}
	for i := range 10_000 {
		q := awardtracker.QSO{Call: "DL1ABC", Band: "2m", Mode: "FM", ModeGroup: awardtracker.ModeGroupPhone,
			Start: t0.Add(time.Duration(i) * 24 * time.Hour), StartSeconds: true}
		e := match.NewEntry(&q, match.FormatKey(q.Key()))
		idx.Add(e, "DL1ABC", "2m")
	}
	q := awardtracker.QSO{Call: "DL1ABC", Band: "2m", Mode: "FM", ModeGroup: awardtracker.ModeGroupPhone,
		Start: t0.Add(-time.Hour), StartSeconds: true}
	k := q.Key()
	for b.Loop() {
		if e, _ := idx.Find(&q, k); e != nil {
			b.Fatalf("found QSO %d, want none", e.ID)
		}
	}
}
