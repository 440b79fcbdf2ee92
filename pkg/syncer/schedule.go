package syncer

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// phase is the user's fixed offset within the interval: syncs of different
// users are spread over it instead of all starting on the same tick.
func phase(userID int64, src awardtracker.Source, every time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(sealContext(userID, src)))
	return time.Duration(h.Sum64() % uint64(every))
}

// lastSlot is the latest instant at or before now that is phase past a
// multiple of every (counted from the Unix epoch).
func lastSlot(now time.Time, phase, every time.Duration) time.Time {
	n := now.UnixNano() - int64(phase)
	k := n / int64(every)
	if n < 0 && n%int64(every) != 0 {
		k--
	}
	return time.Unix(0, k*int64(every)+int64(phase))
}

// due reports whether the scheduler should sync st now.
func (s *Syncer) due(st *awardtracker.SyncState, now time.Time, every time.Duration) bool {
	if st.CredentialsInvalid || len(st.Credentials) == 0 {
		return false
	}
	if st.NextAttempt != nil { // a back-off decides alone
		return !now.Before(*st.NextAttempt)
	}
	if st.LastAttempt != nil && now.Sub(*st.LastAttempt) < every/2 {
		return false // synced by hand a moment ago
	}
	// Once per interval, at the user's slot. Slots that passed before this
	// process started are not made up for, so that a restart after a long
	// pause does not sync everyone at once.
	ref := s.started
	if st.LastAttempt != nil && st.LastAttempt.After(ref) {
		ref = *st.LastAttempt
	}
	return ref.Before(lastSlot(now, phase(st.UserID, st.Source, every), every))
}

// RunOnce starts a sync of every user whose slot in the interval every has
// come (or whose back-off has run out), in the worker pool, waits for them,
// and returns how many it started. Failures are logged and counted, never
// returned. In the fleet mode it queues them in River and returns how many
// it queued, without waiting.
func (s *Syncer) RunOnce(ctx context.Context, every time.Duration) int {
	if s.q != nil {
		return s.enqueueDue(ctx, every)
	}
	var wg sync.WaitGroup
	n := s.dispatch(ctx, every, &wg)
	wg.Wait()
	return n
}

// dueStates returns the states of every user and configured source due
// now.
func (s *Syncer) dueStates(ctx context.Context, every time.Duration) []awardtracker.SyncState {
	if every <= 0 {
		return nil
	}
	var due []awardtracker.SyncState
	for _, src := range []awardtracker.Source{awardtracker.SourceLoTW, awardtracker.SourceDCL} {
		if (src == awardtracker.SourceLoTW && s.lotw == nil) || (src == awardtracker.SourceDCL && s.dcl == nil) {
			continue
		}
		states, err := s.states.SyncStates(ctx, src)
		if err != nil {
			s.log.Error("Cannot list sync states", "source", src, "err", err)
			continue
		}
		now := s.now()
		for i := range states {
			st := &states[i]
			if s.due(st, now, every) {
				due = append(due, *st)
			}
		}
	}
	return due
}

// dispatch starts a sync, in the worker pool, of every user due now, adding
// each to wg, and returns how many it started. A user whose sync is still
// queued or running (a trickling upstream) is skipped, not queued twice.
func (s *Syncer) dispatch(ctx context.Context, every time.Duration, wg *sync.WaitGroup) int {
	ran := 0
	for _, st := range s.dueStates(ctx, every) {
		if ctx.Err() != nil {
			return ran
		}
		job, err := s.jobs.claim(st.UserID, st.Source)
		if awardtracker.ErrorCode(err) == awardtracker.ECONFLICT {
			continue // running or queued already (by hand, or an earlier tick)
		}
		if err != nil { // closing
			return ran
		}
		ran++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.jobs.release()
			s.run(ctx, job)
		}()
	}
	return ran
}

// Run is the scheduler: every minute or so (finer for short intervals) it
// starts the syncs that are due, as RunOnce does, until ctx is done. every <= 0 disables it. It never stops
// because a sync failed. It exports every as awardtracker_sync_interval_seconds.
func (s *Syncer) Run(ctx context.Context, every time.Duration) error {
	s.m.interval.Set(max(every, 0).Seconds())
	if every <= 0 {
		s.log.Info("Scheduled syncs disabled")
		return nil
	}
	tick := min(max(every/60, time.Second), time.Minute)
	if s.q != nil {
		s.log.Info("Scheduled syncs started (River periodic job)", "interval", every, "tick", tick)
		s.runQueue(ctx, every, tick)
		return nil
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	s.log.Info("Scheduled syncs started", "interval", every, "tick", tick)
	// Ticks do not wait for the syncs they start: a sync that is slow holds
	// its worker, and the next ticks start the users that come due meanwhile.
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		s.dispatch(ctx, every, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
