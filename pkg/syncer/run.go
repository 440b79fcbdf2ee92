package syncer

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// check validates src and returns the user's state. Returns EINVALID for an
// unknown source or invalid credentials, EUNAVAILABLE when the source is not
// configured, ENOTFOUND when the user stored no credentials.
func (s *Syncer) check(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncState, error) {
	switch {
	case src == awardtracker.SourceLoTW && s.lotw == nil, src == awardtracker.SourceDCL && s.dcl == nil:
		return nil, awardtracker.Errorf(awardtracker.EUNAVAILABLE, "%s sync is not configured", sourceName(src))
	case src != awardtracker.SourceLoTW && src != awardtracker.SourceDCL:
		return nil, awardtracker.Errorf(awardtracker.EINVALID, "cannot sync source %q: want lotw or dcl", src)
	}
	st, err := s.states.SyncState(ctx, userID, src)
	if awardtracker.ErrorCode(err) == awardtracker.ENOTFOUND || (err == nil && len(st.Credentials) == 0) {
		return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "no %s credentials stored: store them first (PUT /api/me/%s)", sourceName(src), src)
	}
	if err != nil {
		return nil, err
	}
	if st.CredentialsInvalid {
		return nil, awardtracker.Errorf(awardtracker.EINVALID,
			"the stored %s credentials were rejected or cannot be read: store new ones to sync again", sourceName(src))
	}
	return st, nil
}

// Start starts a sync of the user's src in the background and returns its
// job, or the job already queued or running for that user and source.
// Errors as for Sync's checks: ENOTFOUND without stored credentials,
// EINVALID when they were rejected, EUNAVAILABLE when src is not configured
// or the Syncer is closing.
func (s *Syncer) Start(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
	if s.q != nil {
		if _, err := s.check(ctx, userID, src); err != nil {
			return nil, err
		}
		job, _, err := s.q.insert(ctx, syncArgs{UserID: userID, Source: src})
		return job, err
	}
	if job := s.jobs.activeJob(userID, src); job != nil {
		return job, nil
	}
	if _, err := s.check(ctx, userID, src); err != nil {
		return nil, err
	}
	job, err := s.jobs.claim(userID, src)
	if job != nil && err != nil { // lost a race to another request: report its job
		return job, nil
	}
	if err != nil {
		return nil, err
	}
	go func() {
		defer s.jobs.release()
		s.run(s.base, job)
	}()
	return s.jobs.snapshot(job), nil
}

// FullSyncInterval is how often a user may ask for a full re-download of
// their LoTW confirmations: LoTW asks clients not to fetch everything again
// more than about daily.
const FullSyncInterval = 24 * time.Hour

// StartFull is Start for a full re-download of the user's LoTW
// confirmations: the job ignores the stored cursor once and fetches every
// confirmation, which recovers QSOs that an older matching rule merged away.
// Its start is remembered in the sync state, and another one is refused with
// ECONFLICT (carrying RetryAfter) for FullSyncInterval. A LoTW sync already
// running is ECONFLICT too; other errors as for Start.
func (s *Syncer) StartFull(ctx context.Context, userID int64) (*awardtracker.SyncJob, error) {
	st, err := s.check(ctx, userID, awardtracker.SourceLoTW)
	if err != nil {
		return nil, err
	}
	if st.LastFullSync != nil {
		if next, now := st.LastFullSync.Add(FullSyncInterval), s.now(); now.Before(next) {
			return nil, &awardtracker.Error{Code: awardtracker.ECONFLICT, RetryAfter: next.Sub(now),
				Message: fmt.Sprintf("a full LoTW download ran at %s; the next one is possible from %s",
					st.LastFullSync.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339))}
		}
	}
	if s.q != nil {
		job, dup, err := s.q.insert(ctx, syncArgs{UserID: userID, Source: awardtracker.SourceLoTW, Full: true})
		if err == nil && dup {
			return nil, awardtracker.Errorf(awardtracker.ECONFLICT, "a %s sync is already running", sourceName(awardtracker.SourceLoTW))
		}
		return job, err
	}
	job, err := s.jobs.claim(userID, awardtracker.SourceLoTW)
	if err != nil {
		return nil, err
	}
	s.jobs.update(job, func(j *awardtracker.SyncJob) { j.Full = true })
	go func() {
		defer s.jobs.release()
		s.run(s.base, job)
	}()
	return s.jobs.snapshot(job), nil
}

// Sync runs a sync of the user's src now and returns its finished job, with
// the sync's error (also in the job). If a sync of the same user and source
// is already running it returns that job and ECONFLICT.
func (s *Syncer) Sync(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
	if _, err := s.check(ctx, userID, src); err != nil {
		return nil, err
	}
	job, err := s.jobs.claim(userID, src)
	if err != nil {
		return job, err
	}
	defer s.jobs.release()
	err = s.run(ctx, job)
	return s.jobs.snapshot(job), err
}

// Results, the values of the result label.
const (
	ResultSuccess     = "success"
	ResultAuthError   = "auth_error"
	ResultRateLimited = "rate_limited"
	ResultTruncated   = "truncated"
	ResultError       = "error"
)

// run waits for a worker, performs one sync under the deadline, and
// finishes job. ctx is also cancelled by Close.
func (s *Syncer) run(ctx context.Context, job *awardtracker.SyncJob) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.base, cancel)()

	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done(): // cancelled while queued
		s.finish(ctx, job, nil, 0, nil, ctx.Err(), 0)
		return ctx.Err()
	}
	ctx, cancelTimeout := context.WithTimeoutCause(ctx, s.timeout, s.errTimeout)
	defer cancelTimeout()

	userID, src := job.UserID, job.Source
	began := time.Now()
	startedAt := s.now().UTC()
	s.jobs.update(job, func(j *awardtracker.SyncJob) { j.Status, j.StartedAt = awardtracker.JobRunning, &startedAt })
	s.m.inProgress.WithLabelValues(string(src)).Inc()

	var (
		fetched int
		res     *awardtracker.ImportResult
		st      *awardtracker.SyncState
	)
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("Sync panicked", "user_id", userID, "source", src, "panic", p, "stack", string(debug.Stack()))
			err = awardtracker.Errorf(awardtracker.EINTERNAL, "internal error")
		}
		s.m.inProgress.WithLabelValues(string(src)).Dec()
		// Whatever the layer that noticed made of it. In the fleet mode
		// River's job timeout, the same --sync.timeout set a moment
		// earlier, may fire first.
		if err != nil && (context.Cause(ctx) == s.errTimeout ||
			(s.q != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded))) {
			err = s.errTimeout
		}
		s.finish(ctx, job, st, fetched, res, err, time.Since(began))
	}()

	st, err = s.states.SyncState(ctx, userID, src)
	if err != nil {
		return err
	}
	if st.CredentialsInvalid {
		return awardtracker.Errorf(awardtracker.EINVALID, "%s rejected the stored credentials: store new ones to sync again", sourceName(src))
	}
	if src == awardtracker.SourceLoTW && st.Cursor != "" && !awardtracker.ValidLoTWCursor(st.Cursor, s.now().UTC()) {
		// Junk stored by an older version, which took any APP_LoTW_LASTQSL:
		// sending it back forever would never download anything new.
		s.log.Warn("Stored LoTW cursor is not a past date: downloading everything again", "user_id", userID, "cursor", fmt.Sprintf("%.40q", st.Cursor))
		st.Cursor = ""
	}
	dl := *st
	if job.Full {
		// Once, from the start; remembered (by finish, with the other
		// bookkeeping, whatever the outcome) so that it is not repeated
		// within FullSyncInterval.
		dl.Cursor = ""
		st.LastFullSync = &startedAt
	}
	rep, err := s.download(ctx, &dl)
	if err != nil {
		return err
	}
	defer rep.Close()

	// The cursor moves only with a complete report, in the same transaction
	// as its records. An empty report has no cursor of its own: the old one
	// is written back, which keeps it and records the success.
	cursor := rep.Cursor()
	if cursor == "" || cursor < st.Cursor {
		cursor = st.Cursor
	}
	// Remember the stream's own error: the storage may wrap it.
	var streamErr error
	records := func(yield func(awardtracker.ImportRecord, error) bool) {
		for rec, err := range rep.Records() {
			if err != nil {
				streamErr = err
			}
			if !yield(rec, err) {
				return
			}
		}
	}
	res, err = s.qsos.ImportQSOs(ctx, userID, src, records,
		awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: s.now().UTC()})
	fetched = rep.Fetched()
	if err != nil {
		res = nil
		if streamErr != nil {
			err = streamErr
		}
		return err
	}
	if p := rep.CursorProblem(); p != "" {
		s.log.Warn("Upstream sent a cursor that cannot be used: the next sync asks for these records again",
			"user_id", userID, "source", src, "problem", p)
	}
	return nil
}

// classify maps a sync error to its result label.
func classify(err error) string {
	switch {
	case err == nil:
		return ResultSuccess
	}
	// The other classes (too large, redirect refused, unexpected,
	// unavailable) share "error": they back off alike, and the label's
	// values stay those the alerts and dashboards know.
	switch awardtracker.UpstreamCodeOf(err) {
	case awardtracker.UpstreamAuth:
		return ResultAuthError
	case awardtracker.UpstreamRateLimited:
		return ResultRateLimited
	case awardtracker.UpstreamTruncated:
		return ResultTruncated
	}
	return ResultError
}

// finish records the outcome: job, sync state, metrics, log.
func (s *Syncer) finish(ctx context.Context, job *awardtracker.SyncJob, st *awardtracker.SyncState, fetched int, res *awardtracker.ImportResult, err error, took time.Duration) {
	userID, src := job.UserID, job.Source
	now := s.now().UTC()
	result := classify(err)
	msg := ""

	if st != nil {
		// The bookkeeping must be written even when ctx was cancelled.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		next := *st
		next.LastAttempt = &now
		next.NextAttempt = nil
		next.LastError = ""
		if err != nil {
			msg = s.failureMessage(err, result, st, &next, now)
			next.LastError = msg
		}
		if uerr := s.states.UpdateSyncState(bctx, &next); uerr != nil {
			s.log.Error("Cannot save sync state", "user_id", userID, "source", src, "err", uerr)
		}
	} else if err != nil {
		msg = errorMessage(err)
	}

	s.m.runs.WithLabelValues(string(src), result).Inc()
	s.m.duration.WithLabelValues(string(src)).Observe(took.Seconds())
	s.m.records.WithLabelValues(string(src)).Add(float64(fetched))

	// The caches were invalidated inside ImportQSOs (cache.QSOService),
	// before the job reads as finished: whoever waits for the job and then
	// asks for statistics sees the new numbers.
	s.jobs.finish(job, func(job *awardtracker.SyncJob) {
		job.FinishedAt = &now
		job.Fetched = fetched
		if err == nil {
			job.Status = awardtracker.JobSucceeded
			job.Imported, job.Updated, job.Duplicates, job.Rejected = res.Imported, res.Updated, res.Duplicates, len(res.Rejected)
		} else {
			job.Status = awardtracker.JobFailed
			job.Error = msg
		}
	})

	if err != nil {
		s.log.Warn("Sync failed", "user_id", userID, "source", src, "job", job.ID, "result", result,
			"fetched", fetched, "duration", took, "err", err)
		return
	}
	s.log.Info("Sync done", "user_id", userID, "source", src, "job", job.ID, "fetched", fetched,
		"imported", res.Imported, "updated", res.Updated, "duplicates", res.Duplicates,
		"rejected", len(res.Rejected), "duration", took)
}

// failureMessage sets the back-off or the invalid mark on next and returns
// the caller-safe error text for the job and the state.
func (s *Syncer) failureMessage(err error, result string, prev, next *awardtracker.SyncState, now time.Time) string {
	msg := errorMessage(err)
	switch {
	case result == ResultAuthError || errors.Is(err, errUnreadable):
		next.CredentialsInvalid = true
		return msg + "; automatic syncs are paused until new credentials are stored"
	case errors.Is(err, context.Canceled):
		return msg // a shutdown, not the upstream's fault: retry on schedule
	case result == ResultRateLimited:
		at := now.Add(backoff(prev, RateLimitBase, RateLimitCap))
		next.NextAttempt = &at
	default:
		at := now.Add(backoff(prev, RetryBase, RetryCap))
		next.NextAttempt = &at
	}
	return msg + "; next automatic attempt after " + next.NextAttempt.Format(time.RFC3339)
}

// backoff doubles the previous wait (derived from the stored state, so that
// it survives restarts) within [base, cap].
func backoff(prev *awardtracker.SyncState, base, limit time.Duration) time.Duration {
	d := base
	if prev.LastError != "" && prev.NextAttempt != nil && prev.LastAttempt != nil {
		d = 2 * prev.NextAttempt.Sub(*prev.LastAttempt)
	}
	return min(max(d, base), limit)
}

// errorMessage is the caller-safe text of a sync error.
func errorMessage(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "sync interrupted: the service is shutting down"
	case errors.Is(err, context.DeadlineExceeded):
		if msg := awardtracker.ErrorMessage(err); msg != "internal error" {
			return msg
		}
		return "sync timed out"
	}
	return awardtracker.ErrorMessage(err)
}
