package sqlite_test

import (
	"context"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// TestQueryLabels: each tracked query has its own query label, so that a
// latency panel or a slow-query alert names the statement that was slow.
// The statistics' last-sync read shared "sync_state_get" with the sync
// state lookup, a different statement on a different path.
func TestQueryLabels(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	db := sqlitetest.Open(t, sqlite.Options{Tracker: perf.New(reg, perf.Options{})})
	u := mustUser(t, db, "N0CALL")

	queries := func() []string {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, mf := range mfs {
			if mf.GetName() != "awardtracker_db_query_duration_seconds" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "query" && m.GetHistogram().GetSampleCount() > 0 {
						names = append(names, lp.GetValue())
					}
				}
			}
		}
		return names
	}
	before := queries()
	if _, err := sqlite.NewStatsService(db).Stats(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	afterStats := queries()
	if slices.Contains(afterStats, "sync_state_get") {
		t.Errorf("statistics recorded under sync_state_get: got %v", afterStats)
	}
	if !slices.Contains(afterStats, "stats_last_sync") {
		t.Errorf("statistics: got queries %v, want stats_last_sync among them (before: %v)", afterStats, before)
	}
	if _, err := sqlite.NewSyncStateService(db).SyncState(ctx, u.ID, awardtracker.SourceLoTW); err != nil && awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Fatal(err)
	}
	if got := queries(); !slices.Contains(got, "sync_state_get") {
		t.Errorf("sync state lookup: got queries %v, want sync_state_get among them", got)
	}
}
