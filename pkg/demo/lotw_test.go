package demo_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// TestLoTWReport: the demo's LoTW report reads as a complete LoTW report
// (header, record count, end marker), and each record confirms, by LoTW's
// matching rule, one demo QSO that was not confirmed before.
func TestLoTWReport(t *testing.T) {
	rx := time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC)
	report, lastQSL := demo.LoTWReport(demo.Options{}, 40, rx)
	if lastQSL != "2026-11-02 18:00:00" {
		t.Errorf("lastQSL %q, want 2026-11-02 18:00:00", lastQSL)
	}

	ar := adif.NewReader(bytes.NewReader(report))
	hdr, err := ar.Header()
	if err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("APP_LoTW_NUMREC"); got != "40" {
		t.Errorf("APP_LoTW_NUMREC %q, want 40", got)
	}
	if got := hdr.Get("APP_LoTW_LASTQSL"); got != lastQSL {
		t.Errorf("APP_LoTW_LASTQSL %q, want %q", got, lastQSL)
	}
	n := 0
	for {
		_, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 40 || !ar.SawEOFMarker() {
		t.Errorf("got %d records, end marker %v; want 40, true", n, ar.SawEOFMarker())
	}

	// What the import sees: the records as source lotw.
	var own []awardtracker.QSO
	for rec := range demo.QSOs(demo.Options{}) {
		own = append(own, rec.QSO)
	}
	i := 0
	for rec, err := range adif.Records(bytes.NewReader(report), awardtracker.SourceLoTW) {
		if err != nil || rec.Err != nil {
			t.Fatalf("record %d: %v %v", rec.Index, err, rec.Err)
		}
		q := rec.QSO
		if !q.LoTWConfirmed || q.LoTWConfirmedAt == nil || q.LoTWConfirmedAt.After(rx) {
			t.Errorf("record %d: confirmed %v at %v, want confirmed by %v", rec.Index, q.LoTWConfirmed, q.LoTWConfirmedAt, rx)
		}
		matches := 0
		for j := range own {
			if awardtracker.Match(&own[j], &q) {
				matches++
				if own[j].LoTWConfirmed {
					t.Errorf("record %d (%s) confirms a QSO LoTW had confirmed already", rec.Index, q.Call)
				}
			}
		}
		if matches != 1 {
			t.Errorf("record %d (%s %s %s): matches %d demo QSOs, want 1", rec.Index, q.Call, q.Band, q.Start, matches)
		}
		i++
	}
	if i != 40 {
		t.Errorf("imported %d records, want 40", i)
	}
}
