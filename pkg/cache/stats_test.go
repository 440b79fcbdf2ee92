package cache

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// fakeStats counts calls per user and answers Stats{Total: userID}, or err.
type fakeStats struct {
	mu    sync.Mutex
	calls map[int64]int
	err   error
}

func (f *fakeStats) Stats(_ context.Context, userID int64) (*awardtracker.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[int64]int)
	}
	f.calls[userID]++
	if f.err != nil {
		return nil, f.err
	}
	return &awardtracker.Stats{Total: int(userID % 1000)}, nil
}

func (f *fakeStats) callsOf(userID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[userID]
}

func TestStatsService_Stats(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		inner := &fakeStats{}
		c := newTestCache[*awardtracker.Stats]("stats", testTTL, nil)
		s := NewStatsService(inner, c)
		for _, id := range []int64{7, 12345, math.MaxInt64, math.MinInt64, 7, 12345, math.MaxInt64, math.MinInt64} {
			got, err := s.Stats(ctx, id)
			if err != nil || got.Total != int(id%1000) {
				t.Fatalf("Stats(%d) = %+v, %v, want Total %d", id, got, err, id%1000)
			}
			if n := inner.callsOf(id); n != 1 {
				t.Errorf("inner calls for %d = %d, want 1", id, n)
			}
		}
		checkCounters(t, c.Counters(), Counters{Size: 4, Valid: 4, Hits: 4, Misses: 4, Loads: 4})
		// The read side's keys are the ones the write side (Caches) invalidates.
		if _, ok := c.lookup(userKey(12345)); !ok {
			t.Errorf("no entry under key %q", userKey(12345))
		}
	})

	t.Run("ErrUnavailable", func(t *testing.T) {
		inner := &fakeStats{err: awardtracker.Errorf(awardtracker.EUNAVAILABLE, "database unavailable")}
		s := NewStatsService(inner, newTestCache[*awardtracker.Stats]("stats", testTTL, nil))
		for range 2 {
			if _, err := s.Stats(ctx, 1); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
				t.Fatalf("Stats error code = %q, want %q", awardtracker.ErrorCode(err), awardtracker.EUNAVAILABLE)
			}
		}
		if n := inner.callsOf(1); n != 2 {
			t.Errorf("inner calls = %d, want 2 (errors are not cached)", n)
		}
	})
}
