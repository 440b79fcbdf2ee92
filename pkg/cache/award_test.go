package cache

import (
	"context"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// fakeAwards counts calls per user and answers one DXCC progress with
// Worked: userID, or err.
type fakeAwards struct {
	mu    sync.Mutex
	calls map[int64]int
	err   error
}

func (f *fakeAwards) Awards(_ context.Context, userID int64) ([]awardtracker.AwardProgress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[int64]int)
	}
	f.calls[userID]++
	if f.err != nil {
		return nil, f.err
	}
	return []awardtracker.AwardProgress{{ID: awardtracker.AwardDXCC, Worked: int(userID)}}, nil
}

func (f *fakeAwards) callsOf(userID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[userID]
}

func TestAwardService_Awards(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		inner := &fakeAwards{}
		c := newTestCache[[]awardtracker.AwardProgress]("award", testTTL, nil)
		s := NewAwardService(inner, c)
		for _, id := range []int64{3, 300, 3, 300, 300} {
			got, err := s.Awards(ctx, id)
			if err != nil || len(got) != 1 || got[0].Worked != int(id) {
				t.Fatalf("Awards(%d) = %+v, %v, want one progress with Worked %d", id, got, err, id)
			}
		}
		if n3, n300 := inner.callsOf(3), inner.callsOf(300); n3 != 1 || n300 != 1 {
			t.Errorf("inner calls = %d, %d, want 1, 1", n3, n300)
		}
		checkCounters(t, c.Counters(), Counters{Size: 2, Valid: 2, Hits: 3, Misses: 2, Loads: 2})
	})

	t.Run("ErrNotCached", func(t *testing.T) {
		inner := &fakeAwards{err: awardtracker.Errorf(awardtracker.EUNAVAILABLE, "database unavailable")}
		s := NewAwardService(inner, newTestCache[[]awardtracker.AwardProgress]("award", testTTL, nil))
		for range 2 {
			if _, err := s.Awards(ctx, 1); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
				t.Fatalf("Awards error code = %q, want %q", awardtracker.ErrorCode(err), awardtracker.EUNAVAILABLE)
			}
		}
		if n := inner.callsOf(1); n != 2 {
			t.Errorf("inner calls = %d, want 2 (errors are not cached)", n)
		}
	})
}
