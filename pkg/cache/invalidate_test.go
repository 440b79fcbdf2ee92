package cache

import (
	"context"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func TestInvalidator(t *testing.T) {
	ctx := context.Background()
	setup := func() (*Invalidator, *StatsService, *AwardService, *fakeStats, *fakeAwards) {
		fs, fa := &fakeStats{}, &fakeAwards{}
		sc := newTestCache[*awardtracker.Stats]("stats", testTTL, nil)
		ac := newTestCache[[]awardtracker.AwardProgress]("award", testTTL, nil)
		return NewInvalidator(sc, ac), NewStatsService(fs, sc), NewAwardService(fa, ac), fs, fa
	}
	// get reads users 1 and 2 from both services.
	get := func(t *testing.T, ss *StatsService, as *AwardService) {
		t.Helper()
		for _, id := range []int64{1, 2} {
			if _, err := ss.Stats(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := as.Awards(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("InvalidateUser", func(t *testing.T) {
		inv, ss, as, fs, fa := setup()
		get(t, ss, as)
		inv.InvalidateUser(1, ReasonImport)
		get(t, ss, as)
		if s1, s2, a1, a2 := fs.callsOf(1), fs.callsOf(2), fa.callsOf(1), fa.callsOf(2); s1 != 2 || a1 != 2 || s2 != 1 || a2 != 1 {
			t.Errorf("inner calls (stats 1, 2, awards 1, 2) = %d, %d, %d, %d, want 2, 1, 2, 1", s1, s2, a1, a2)
		}
		if n := inv.stats.Counters().Invalidations; n != 1 {
			t.Errorf("stats invalidations = %d, want 1", n)
		}
		if n := inv.awards.Counters().Invalidations; n != 1 {
			t.Errorf("award invalidations = %d, want 1", n)
		}
	})

	t.Run("InvalidateAll", func(t *testing.T) {
		inv, ss, as, fs, fa := setup()
		get(t, ss, as)
		inv.InvalidateAll(ReasonManual)
		get(t, ss, as)
		if s1, s2, a1, a2 := fs.callsOf(1), fs.callsOf(2), fa.callsOf(1), fa.callsOf(2); s1 != 2 || a1 != 2 || s2 != 2 || a2 != 2 {
			t.Errorf("inner calls (stats 1, 2, awards 1, 2) = %d, %d, %d, %d, want 2, 2, 2, 2", s1, s2, a1, a2)
		}
	})

	t.Run("Nil", func(t *testing.T) {
		var inv *Invalidator
		inv.InvalidateUser(1, ReasonSync)
		inv.InvalidateAll(ReasonSync)
		inv = NewInvalidator(nil, nil)
		inv.InvalidateUser(1, ReasonSync)
		inv.InvalidateAll(ReasonSync)
	})
}
