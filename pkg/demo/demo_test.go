package demo_test

import (
	"testing"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// TestQSOs: the demo log is reproducible, valid by the ADIF tables, spread
// over bands, modes and entities, and partly confirmed.
func TestQSOs(t *testing.T) {
	var calls []string
	bands, modes, entities := map[string]bool{}, map[string]bool{}, map[int]bool{}
	n, lotw, dcl, deleted, sat := 0, 0, 0, 0, 0
	for rec, err := range demo.QSOs(demo.Options{}) {
		if err != nil || rec.Err != nil {
			t.Fatalf("record %d: %v %v", rec.Index, err, rec.Err)
		}
		q := rec.QSO
		n++
		calls = append(calls, q.Call)
		if _, ok := adif.NormalizeBand(q.Band); !ok {
			t.Errorf("record %d: band %q not in the ADIF table", rec.Index, q.Band)
		}
		if _, _, ok := adif.NormalizeMode(q.Mode, q.Submode); !ok {
			t.Errorf("record %d: mode %s/%s not in the ADIF table", rec.Index, q.Mode, q.Submode)
		}
		e, ok := adif.DXCCEntity(q.DXCC)
		if !ok {
			t.Errorf("record %d: DXCC %d not in the ADIF table", rec.Index, q.DXCC)
		}
		if e.Deleted {
			deleted++
		}
		if q.DOK != "" && q.DXCC != 230 {
			t.Errorf("record %d: a DOK outside Germany", rec.Index)
		}
		bands[q.Band], modes[q.DisplayMode()], entities[q.DXCC] = true, true, true
		if q.Satellite() {
			sat++
		}
		if q.LoTWConfirmed {
			lotw++
		}
		if q.DCLConfirmed {
			dcl++
		}
	}
	if n < 3000 || len(bands) < 10 || len(modes) < 6 || len(entities) < 60 || lotw < n/2 || dcl == 0 || deleted == 0 || sat == 0 {
		t.Errorf("thin demo: %d QSOs, %d bands, %d modes, %d entities, %d LoTW, %d DCL, %d deleted-entity, %d satellite",
			n, len(bands), len(modes), len(entities), lotw, dcl, deleted, sat)
	}
	i := 0
	for rec := range demo.QSOs(demo.Options{}) {
		if rec.QSO.Call != calls[i] {
			t.Fatalf("record %d differs between runs: %s vs %s", i+1, rec.QSO.Call, calls[i])
		}
		i++
	}
	if want := demo.Count(demo.Options{}); n != want {
		t.Errorf("got %d QSOs, Count says %d", n, want)
	}
	if got, want := demo.Count(demo.Options{QSOs: 10}), 10+2+12; got != want {
		t.Errorf("Count of a 10-QSO log: got %d, want %d", got, want)
	}
	if u := demo.Unconfirmed(demo.Options{}, 10); len(u) != 10 || !u[0].LoTWConfirmed {
		t.Errorf("Unconfirmed: %d, want 10 confirmations", len(u))
	}
}
