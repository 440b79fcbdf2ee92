package syncer

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Job bookkeeping: finished jobs are kept this long, and at most this many.
const (
	jobRetention = 24 * time.Hour
	maxJobs      = 10000
)

// jobRegistry holds the sync jobs: the one active job per user and source,
// finished jobs for the API to poll until they are pruned, and the count of
// claimed jobs that Close waits for. Its lock guards every job's fields, so
// readers get copies.
type jobRegistry struct {
	now func() time.Time
	// wg counts claimed jobs until they are released; it is added to under
	// mu, after the closed check, so that Close never waits on an Add that
	// races with it.
	wg sync.WaitGroup

	mu     sync.Mutex
	closed bool
	jobs   map[string]*awardtracker.SyncJob
	done   map[string]chan struct{} // closed when the job finishes
	order  []string                 // job ids, oldest first
	active map[jobKey]*awardtracker.SyncJob
}

type jobKey struct {
	user int64
	src  awardtracker.Source
}

func newJobRegistry(now func() time.Time) *jobRegistry {
	return &jobRegistry{now: now, jobs: map[string]*awardtracker.SyncJob{}, done: map[string]chan struct{}{},
		active: map[jobKey]*awardtracker.SyncJob{}}
}

// Job returns one of the user's jobs. Another user's job is ENOTFOUND too.
func (s *Syncer) Job(userID int64, id string) (*awardtracker.SyncJob, error) {
	job, _ := s.jobs.get(userID, id)
	if job == nil {
		return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "sync job %q not found", id)
	}
	return s.jobs.snapshot(job), nil
}

// Wait blocks until one of the user's jobs has finished, or ctx is done,
// and returns the job. Another user's job is ENOTFOUND.
func (s *Syncer) Wait(ctx context.Context, userID int64, id string) (*awardtracker.SyncJob, error) {
	job, done := s.jobs.get(userID, id)
	if job == nil {
		return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "sync job %q not found", id)
	}
	select {
	case <-done:
		return s.jobs.snapshot(job), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// get returns the user's job id and its done channel; nil for another
// user's job.
func (r *jobRegistry) get(userID int64, id string) (*awardtracker.SyncJob, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	job := r.jobs[id]
	if job == nil || job.UserID != userID {
		return nil, nil
	}
	return job, r.done[id]
}

// activeJob returns a copy of the job queued or running for (userID, src),
// or nil.
func (r *jobRegistry) activeJob(userID int64, src awardtracker.Source) *awardtracker.SyncJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	if job := r.active[jobKey{userID, src}]; job != nil {
		c := *job
		return &c
	}
	return nil
}

// claim creates a queued job for (userID, src), counted until release, or
// returns a copy of the job already active and ECONFLICT, or EUNAVAILABLE
// once the registry is closed.
func (r *jobRegistry) claim(userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, awardtracker.Errorf(awardtracker.EUNAVAILABLE, "the service is shutting down")
	}
	k := jobKey{userID, src}
	if job := r.active[k]; job != nil {
		c := *job
		return &c, awardtracker.Errorf(awardtracker.ECONFLICT, "a %s sync is already running", sourceName(src))
	}
	job := &awardtracker.SyncJob{ID: uuid.NewString(), UserID: userID, Source: src, Status: awardtracker.JobQueued}
	r.active[k] = job
	r.jobs[job.ID] = job
	r.done[job.ID] = make(chan struct{})
	r.order = append(r.order, job.ID)
	r.pruneLocked()
	r.wg.Add(1)
	return job, nil
}

// release ends the count of a claimed job; every claim is released once,
// after finish.
func (r *jobRegistry) release() { r.wg.Done() }

// pruneLocked forgets finished jobs past the retention, and the oldest
// finished ones while there are more than maxJobs, walking the jobs oldest
// first and stopping at the first finished one to keep, so that a claim
// costs little however many jobs are kept. Unfinished jobs are stepped
// over, not a stop: one sync hung on a trickling upstream must not keep
// every later job in memory for as long as it hangs.
func (r *jobRegistry) pruneLocked() {
	cutoff := r.now().Add(-jobRetention)
	kept := r.order[:0] // the unfinished jobs stepped over
	i := 0
	for ; i < len(r.order); i++ {
		id := r.order[i]
		job := r.jobs[id]
		if job.FinishedAt == nil {
			kept = append(kept, id)
			continue
		}
		if len(r.jobs) <= maxJobs && job.FinishedAt.After(cutoff) {
			break
		}
		delete(r.jobs, id)
		delete(r.done, id)
	}
	n := len(kept) + copy(r.order[len(kept):], r.order[i:])
	clear(r.order[n:]) // no stale ids behind the slice's end
	r.order = r.order[:n]
}

// snapshot returns a copy of job.
func (r *jobRegistry) snapshot(job *awardtracker.SyncJob) *awardtracker.SyncJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *job
	return &c
}

// update changes job under the lock.
func (r *jobRegistry) update(job *awardtracker.SyncJob, f func(j *awardtracker.SyncJob)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(job)
}

// finish applies f to job, makes it inactive and wakes its waiters.
func (r *jobRegistry) finish(job *awardtracker.SyncJob, f func(j *awardtracker.SyncJob)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(job)
	delete(r.active, jobKey{job.UserID, job.Source})
	close(r.done[job.ID])
}

// close refuses further claims.
func (r *jobRegistry) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
}

// wait blocks until every claimed job was released.
func (r *jobRegistry) wait() { r.wg.Wait() }
