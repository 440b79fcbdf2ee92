package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// The fleet mode (Options.Pool set): jobs, their status and the schedule
// live in River's tables on the shared PostgreSQL, so that every replica
// sees every job, exactly one replica runs a job, and a job whose replica
// died is handed to another one by River's rescuer. The sync itself is the
// same run as in the single-machine mode; only the bookkeeping around it
// moves.

const (
	// DefaultRescueAfter is how long a job may run before River takes its
	// replica for dead and retries it elsewhere. It must exceed the sync
	// deadline (DefaultTimeout), or a slow sync would run twice at once.
	DefaultRescueAfter = DefaultTimeout + 15*time.Minute

	// syncAttempts bounds River's retries of one sync (transport errors, a
	// truncated report, a replica lost mid-sync); the scheduler's own
	// back-off, stored in the sync state, takes over after that.
	syncAttempts = 3

	// scheduleQueue holds the periodic job that enqueues the due syncs, so
	// that it never waits behind long syncs for a worker.
	scheduleQueue = "awardtracker_schedule"

	// riverMigrateLock is the advisory lock key replicas starting together
	// take around River's migrations.
	riverMigrateLock = 0x61777472_6976
)

// activeStates are the states in which a job blocks another one of the same
// user and source: from queued to running, and waiting for a retry.
// Finished jobs (completed, cancelled, discarded) do not.
var activeStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// syncArgs is one sync's River job. Full does not take part in uniqueness:
// a full download and an incremental one of the same user never run at once.
type syncArgs struct {
	UserID int64               `json:"user_id" river:"unique"`
	Source awardtracker.Source `json:"source" river:"unique"`
	Full   bool                `json:"full,omitempty"`
}

func (syncArgs) Kind() string { return "awardtracker_sync" }

// scheduleArgs is the periodic job that enqueues the syncs that are due.
type scheduleArgs struct {
	Every time.Duration `json:"every"`
}

func (scheduleArgs) Kind() string { return "awardtracker_schedule" }

// MigrateRiver creates or updates River's tables on the database of pool.
// The service runs it right after the storage's own migrations.
func MigrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("syncer: river migrations: %w", err)
	}
	// Replicas starting together would otherwise race to create the
	// tables. A session lock on a connection of its own: River applies
	// each version in a transaction of its own (one transaction for all
	// fails, an enum value added by one version is used by the next).
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("syncer: river migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(riverMigrateLock)); err != nil {
		return fmt.Errorf("syncer: river migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(riverMigrateLock))
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("syncer: river migrations: %w", err)
	}
	return nil
}

// queue is the River client of the fleet mode.
type queue struct {
	client *river.Client[pgx.Tx]
}

// retryPolicy spaces River's retries like the scheduler's back-off, so that
// a failing upstream sees the same pauses whichever of them retries.
// It reads the wall clock, not Options.Now: River compares the time with
// its own rows' times.
type retryPolicy struct {
	base time.Duration
	now  func() time.Time
}

// NextRetry waits base after the first failure, doubling after each
// further one. job.Errors does not hold the failure being retried yet.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.base << min(len(job.Errors), 10)
	return p.now().Add(min(d, RetryCap))
}

func newQueue(s *Syncer, opts Options) (*queue, error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{s: s}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &scheduleWorker{s: s}); err != nil {
		return nil, err
	}
	if opts.RescueAfter <= 0 {
		opts.RescueAfter = max(DefaultRescueAfter, opts.Timeout+15*time.Minute)
	}
	if opts.RescueAfter <= opts.Timeout {
		return nil, fmt.Errorf("syncer: the rescue window (%v) must be longer than the sync deadline (%v)", opts.RescueAfter, opts.Timeout)
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = RetryBase
	}
	client, err := river.NewClient(riverpgxv5.New(opts.Pool), &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: opts.Concurrency},
			scheduleQueue:      {MaxWorkers: 1},
		},
		Workers: workers,
		// River's default (1 minute) would cancel any large sync; the
		// worker's Timeout gives syncs --sync.timeout and the run's own
		// deadline enforces it.
		JobTimeout:           opts.Timeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		RetryPolicy:          retryPolicy{base: opts.RetryBase, now: time.Now},
		MaxAttempts:          syncAttempts,
		Logger:               opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("syncer: river: %w", err)
	}
	if err := client.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("syncer: river: %w", err)
	}
	return &queue{client: client}, nil
}

// insert queues a sync, or returns the one of the same user and source
// already active (dup true).
func (q *queue) insert(ctx context.Context, a syncArgs) (job *awardtracker.SyncJob, dup bool, err error) {
	res, err := q.client.Insert(ctx, a, &river.InsertOpts{
		MaxAttempts: syncAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: activeStates},
	})
	if err != nil {
		return nil, false, &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "cannot queue the sync", Err: err}
	}
	job, err = jobFromRow(res.Job)
	return job, res.UniqueSkippedAsDuplicate, err
}

// job reads a job's row; ENOTFOUND for an unknown id or another user's job.
func (q *queue) job(ctx context.Context, userID int64, id string) (*awardtracker.SyncJob, bool, error) {
	notFound := awardtracker.Errorf(awardtracker.ENOTFOUND, "sync job %q not found", id)
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false, notFound
	}
	row, err := q.client.JobGet(ctx, n)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, false, notFound
	}
	if err != nil {
		return nil, false, &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "cannot read the sync job", Err: err}
	}
	job, err := jobFromRow(row)
	if err != nil || job.UserID != userID {
		return nil, false, notFound
	}
	return job, row.FinalizedAt != nil, nil
}

// jobFromRow is the API's view of a River job: the state from the row, the
// counts and error from the output the worker recorded.
func jobFromRow(row *rivertype.JobRow) (*awardtracker.SyncJob, error) {
	if row.Kind != (syncArgs{}).Kind() {
		return nil, fmt.Errorf("job %d is a %s, not a sync", row.ID, row.Kind)
	}
	var a syncArgs
	if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
		return nil, fmt.Errorf("job %d: %w", row.ID, err)
	}
	job := &awardtracker.SyncJob{}
	if out := row.Output(); len(out) > 0 {
		if err := json.Unmarshal(out, job); err != nil {
			return nil, fmt.Errorf("job %d output: %w", row.ID, err)
		}
	}
	job.ID, job.UserID, job.Source, job.Full = strconv.FormatInt(row.ID, 10), a.UserID, a.Source, a.Full
	switch row.State {
	case rivertype.JobStateRunning:
		job.Status, job.StartedAt, job.FinishedAt = awardtracker.JobRunning, row.AttemptedAt, nil
	case rivertype.JobStateCompleted:
		if job.Status == "" { // completed without output: cannot happen with our worker
			job.Status = awardtracker.JobSucceeded
		}
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		job.Status = awardtracker.JobFailed
		if job.Error == "" {
			job.Error = "the sync was cancelled"
		}
		if job.FinishedAt == nil {
			job.FinishedAt = row.FinalizedAt
		}
	default: // waiting to run, or to run again: the error is the last attempt's
		job.Status, job.FinishedAt = awardtracker.JobQueued, nil
	}
	return job, nil
}

// syncWorker runs one sync job on this replica.
type syncWorker struct {
	river.WorkerDefaults[syncArgs]
	s *Syncer
}

// Timeout is the sync deadline (--sync.timeout), below the rescue window.
func (w *syncWorker) Timeout(*river.Job[syncArgs]) time.Duration { return w.s.timeout }

// Work runs the sync, records its outcome as the job's output, and tells
// River what to do next: nothing after a success or a timeout (the stored
// back-off handles the next attempt), never again after a rejected login (LoTW etiquette:
// a wrong password is not retried), hours later after a rate-limit page,
// and a retry with back-off after a transient error or a shutdown.
func (w *syncWorker) Work(ctx context.Context, rj *river.Job[syncArgs]) error {
	s, a := w.s, rj.Args
	job, err := s.jobs.claimID(strconv.FormatInt(rj.ID, 10), a.UserID, a.Source)
	if awardtracker.ErrorCode(err) == awardtracker.ECONFLICT {
		return river.JobSnooze(time.Minute) // a synchronous Sync of this replica holds it
	}
	if err != nil {
		return err // closing: River retries it, on another replica if need be
	}
	defer s.jobs.release()
	if a.Full {
		s.jobs.update(job, func(j *awardtracker.SyncJob) { j.Full = true })
	}
	err = s.run(ctx, job)
	if oerr := river.RecordOutput(ctx, s.jobs.snapshot(job)); oerr != nil {
		s.log.Error("Cannot record the sync job's output", "job", job.ID, "err", oerr)
	}
	switch {
	case err == nil:
		return nil
	case classify(err) == ResultAuthError, errors.Is(err, errUnreadable),
		awardtracker.ErrorCode(err) == awardtracker.EINVALID, awardtracker.ErrorCode(err) == awardtracker.ENOTFOUND:
		return river.JobCancel(err)
	case classify(err) == ResultRateLimited:
		return river.JobSnooze(RateLimitBase)
	case errors.Is(err, s.errTimeout):
		// Another attempt would most likely time out too, holding a
		// worker and LoTW that long again: the stored back-off decides.
		return nil
	}
	return err
}

// scheduleWorker enqueues the syncs that are due. River runs its periodic
// jobs on the elected leader only, so the schedule does not multiply with
// the number of replicas.
type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	s *Syncer
}

func (w *scheduleWorker) Work(ctx context.Context, rj *river.Job[scheduleArgs]) error {
	w.s.enqueueDue(ctx, rj.Args.Every)
	return nil
}

// enqueueDue queues a sync of every user due now and returns how many it
// queued; one already queued or running is not queued again.
func (s *Syncer) enqueueDue(ctx context.Context, every time.Duration) int {
	n := 0
	for _, st := range s.dueStates(ctx, every) {
		if _, dup, err := s.q.insert(ctx, syncArgs{UserID: st.UserID, Source: st.Source}); err != nil {
			s.log.Error("Cannot queue a scheduled sync", "user_id", st.UserID, "source", st.Source, "err", err)
		} else if !dup {
			n++
		}
	}
	return n
}

// runQueue is Run in the fleet mode: it adds the periodic job and waits.
func (s *Syncer) runQueue(ctx context.Context, every, tick time.Duration) {
	h := s.q.client.PeriodicJobs().Add(river.NewPeriodicJob(river.PeriodicInterval(tick),
		func() (river.JobArgs, *river.InsertOpts) {
			return scheduleArgs{Every: every}, &river.InsertOpts{Queue: scheduleQueue, MaxAttempts: 1,
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	defer s.q.client.PeriodicJobs().Remove(h)
	<-ctx.Done()
}

// waitQueue is Wait in the fleet mode. The job may finish on another
// replica, so it reads the row again until it is final.
func (s *Syncer) waitQueue(ctx context.Context, userID int64, id string) (*awardtracker.SyncJob, error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		job, final, err := s.q.job(ctx, userID, id)
		if err != nil || final {
			return job, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
