package syncer_test

import (
	"context"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// TestSyncer_InclusiveCursor: LoTW's since is inclusive, so every sync sends
// the newest confirmation of the last one again. It must be recognised as
// the record already linked: no new QSO, and no confirmation of another QSO
// that LoTW's 30-minute rule would also accept.
func TestSyncer_InclusiveCursor(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	e.lotw.AddAccount("N0NEW", lotwPassword)
	rec := func(call string, start, rx time.Time) lotwtest.Record {
		return lotwtest.Record{StationCallsign: "N0NEW", Call: call, Band: "20M", Mode: "SSB", ModeGroup: "PHONE",
			Start: start, RxQSO: start.Add(time.Hour), Confirmed: true, RxQSL: rx, DXCC: 275, Country: "ROMANIA"}
	}
	first := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	second := time.Date(2024, 6, 1, 12, 53, 45, 0, time.UTC)

	t.Run("LoTWOnlyUser", func(t *testing.T) {
		uid := e.user(t, "N0NEW")
		if err := e.s.SetLoTWCredentials(ctx, uid, "N0NEW", lotwPassword); err != nil {
			t.Fatal(err)
		}
		// Two QSOs with YO9HP 12 minutes apart, confirmed one after the other.
		e.lotw.AddRecords("N0NEW", rec("YO9HP", first, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)),
			rec("YO9HP", second, time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)))
		job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
		if err != nil || job.Status != awardtracker.JobSucceeded || job.Fetched != 2 || job.Imported != 2 {
			t.Fatalf("first sync: %+v, %v; want 2 fetched, 2 imported", job, err)
		}
		for i := range 2 {
			e.clock.Add(time.Hour)
			job, err = e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
			if err != nil || job.Fetched != 1 || job.Imported != 0 || job.Updated != 0 || job.Duplicates != 1 {
				t.Fatalf("sync %d: %+v, %v; want the newest record again, as 1 duplicate", i+2, job, err)
			}
		}
		if qs := e.qsoList(t, uid); len(qs) != 2 {
			t.Fatalf("%d QSOs, want 2", len(qs))
		}
	})

	t.Run("OwnLogWithANeighbour", func(t *testing.T) {
		e.lotw.AddAccount("N0OWN", lotwPassword)
		uid := e.user(t, "N0OWN")
		if err := e.s.SetLoTWCredentials(ctx, uid, "N0OWN", lotwPassword); err != nil {
			t.Fatal(err)
		}
		// The own log holds both QSOs; LoTW confirms only the later one.
		own := []awardtracker.QSO{
			{StationCallsign: "N0OWN", Call: "YO9HP", Band: "20m", Mode: "SSB", ModeGroup: awardtracker.ModeGroupPhone, Start: first, StartSeconds: true},
			{StationCallsign: "N0OWN", Call: "YO9HP", Band: "20m", Mode: "SSB", ModeGroup: awardtracker.ModeGroupPhone, Start: second, StartSeconds: true},
		}
		res, err := e.qsos.ImportQSOs(ctx, uid, awardtracker.SourceLog, func(yield func(awardtracker.ImportRecord, error) bool) {
			for i, q := range own {
				if !yield(awardtracker.ImportRecord{Index: i + 1, QSO: q}, nil) {
					return
				}
			}
		}, awardtracker.ImportOptions{})
		if err != nil || res.Imported != 2 {
			t.Fatalf("own log: %+v, %v; want 2 imported", res, err)
		}
		r := rec("YO9HP", second, time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC))
		r.StationCallsign = "N0OWN"
		e.lotw.AddRecords("N0OWN", r)
		for i := range 3 {
			e.clock.Add(time.Hour)
			job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
			wantUpdated, wantDup := 0, 1
			if i == 0 {
				wantUpdated, wantDup = 1, 0
			}
			if err != nil || job.Fetched != 1 || job.Imported != 0 || job.Updated != wantUpdated || job.Duplicates != wantDup {
				t.Fatalf("sync %d: %+v, %v; want 1 fetched, %d updated, %d duplicates", i+1, job, err, wantUpdated, wantDup)
			}
		}
		qs := e.qsoList(t, uid) // newest first
		if len(qs) != 2 || !qs[0].LoTWConfirmed || qs[1].LoTWConfirmed {
			t.Fatalf("QSOs %+v, want 2 with only the 12:53:45 one confirmed", qs)
		}
	})
}
