// Package syncer keeps users' QSOs current with their LoTW and DCL
// confirmations.
//
// It provides a Syncer that stores each user's upstream credentials sealed
// (package secret), runs one sync per user and source at a time (Sync,
// synchronously; Start, as a background job the API can poll), applies each
// download in one storage transaction together with the new cursor, backs
// off after failures (hours when LoTW throttles, minutes after a truncated
// report or a transport error, never again after a rejected login until the
// credentials change), invalidates the user's cached statistics after a sync
// that changed something, and a scheduler (Run, RunOnce) that syncs every
// user once per interval at a per-user offset, so that LoTW never sees a
// burst. Every sync, scheduled or asked for, runs in a bounded pool of
// workers (Options.Concurrency) under an overall deadline
// (Options.Timeout), so that one upstream that trickles its answer holds
// one worker for at most that long and never the other users' syncs. It
// exports the awardtracker_sync_* metrics.
//
// It does not speak HTTP to the upstreams (packages lotw and dcl do), store
// anything itself (awardtracker.QSOService and SyncStateService do), or
// serve the API.
package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/secret"
)

// LoTWDownloader downloads LoTW reports; *lotw.Client implements it.
type LoTWDownloader interface {
	Download(ctx context.Context, login, password, since string) (*lotw.Report, error)
}

// DCLDownloader downloads DCL confirmations; *dcl.Client implements it.
// DARC's download contract is a draft: a replacement only has to produce a
// *dcl.Report (dcl.NewReport takes the ADIF text).
type DCLDownloader interface {
	Download(ctx context.Context, key, since string) (*dcl.Report, error)
}

// Invalidator drops a user's cached statistics and award progress.
type Invalidator interface {
	InvalidateUser(userID int64, reason string)
}

// Back-off after failed syncs. Each consecutive failure doubles the wait,
// between the base and the cap.
const (
	RetryBase     = 5 * time.Minute // truncated report, transport error, 5xx
	RetryCap      = 3 * time.Hour
	RateLimitBase = 2 * time.Hour // LoTW's "Page Request Limit!"
	RateLimitCap  = 24 * time.Hour
)

// Defaults of the worker pool and the per-sync deadline.
const (
	// DefaultConcurrency syncs run at once; more wait, queued. Few, because
	// each may spool a report of up to --lotw.max-report-bytes, and LoTW
	// should not see bursts from one address.
	DefaultConcurrency = 4
	// DefaultTimeout bounds a whole sync: LoTW may take 10 minutes to start
	// a big report and more to send it (1 GiB at 2 MB/s is 9 minutes), and
	// applying 1.6 million records takes about half a minute.
	DefaultTimeout = time.Hour
)

// Job bookkeeping: finished jobs are kept this long, and at most this many.
const (
	jobRetention = 24 * time.Hour
	maxJobs      = 10000
)

// Options configure a Syncer. QSOs and States are required.
type Options struct {
	QSOs   awardtracker.QSOService
	States awardtracker.SyncStateService
	LoTW   LoTWDownloader // nil: LoTW sync is not configured
	DCL    DCLDownloader  // nil: DCL sync is not configured
	// Box seals stored credentials; nil means credentials cannot be stored
	// (the service was started without --secrets.key).
	Box         *secret.Box
	Invalidator Invalidator
	// Registerer receives the awardtracker_sync_* metrics; nil keeps them
	// in a private registry.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
	// Concurrency is how many syncs run at once (default
	// DefaultConcurrency); the others are queued.
	Concurrency int
	// Timeout is the deadline of one sync from the moment it starts running
	// (default DefaultTimeout). A sync past it fails and writes nothing.
	Timeout time.Duration
}

// Syncer runs syncs. It is safe for concurrent use.
type Syncer struct {
	qsos    awardtracker.QSOService
	states  awardtracker.SyncStateService
	lotw    LoTWDownloader
	dcl     DCLDownloader
	box     *secret.Box
	inv     Invalidator
	log     *slog.Logger
	now     func() time.Time
	m       *metrics
	started time.Time

	slots      chan struct{} // the worker pool: one token per running sync
	timeout    time.Duration
	errTimeout error // the cause of a sync's context past its deadline

	base   context.Context // cancelled by Close: running syncs roll back
	cancel context.CancelFunc
	wg     sync.WaitGroup

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

// New returns a Syncer.
func New(opts Options) (*Syncer, error) {
	if opts.QSOs == nil || opts.States == nil {
		return nil, errors.New("syncer: QSOs and States are required")
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Syncer{
		qsos: opts.QSOs, states: opts.States, lotw: opts.LoTW, dcl: opts.DCL, box: opts.Box,
		inv: opts.Invalidator, log: opts.Logger, now: opts.Now, m: m,
		jobs: map[string]*awardtracker.SyncJob{}, done: map[string]chan struct{}{}, active: map[jobKey]*awardtracker.SyncJob{},
		slots: make(chan struct{}, opts.Concurrency), timeout: opts.Timeout,
		errTimeout: &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Err: context.DeadlineExceeded,
			Message: fmt.Sprintf("the sync did not finish within %v (--sync.timeout)", opts.Timeout)},
	}
	s.started = s.now()
	s.base, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// LoTWCredentials are what a user stores for LoTW: the web account login
// (case preserved: LoTW compares it case-sensitively) and password.
type LoTWCredentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// DCLCredentials are what a user stores for DCL: the API key.
type DCLCredentials struct {
	Key string `json:"key"`
}

// SetLoTWCredentials stores a user's LoTW login sealed, and clears any
// invalid mark and back-off. Returns EINVALID for an empty username or
// password and EFORBIDDEN when no secrets key is configured.
func (s *Syncer) SetLoTWCredentials(ctx context.Context, userID int64, username, password string) error {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return awardtracker.Errorf(awardtracker.EINVALID, "LoTW username and password are required")
	}
	return s.putCredentials(ctx, userID, awardtracker.SourceLoTW, LoTWCredentials{Username: username, Password: password})
}

// SetDCLCredentials stores a user's DCL key sealed; see SetLoTWCredentials.
func (s *Syncer) SetDCLCredentials(ctx context.Context, userID int64, key string) error {
	key = strings.TrimSpace(key)
	if key == "" {
		return awardtracker.Errorf(awardtracker.EINVALID, "a DCL key is required")
	}
	return s.putCredentials(ctx, userID, awardtracker.SourceDCL, DCLCredentials{Key: key})
}

// DeleteLoTWCredentials forgets the user's stored LoTW login, so that LoTW
// is no longer synced for them. A sync already running finishes; deleting
// absent credentials is not an error.
func (s *Syncer) DeleteLoTWCredentials(ctx context.Context, userID int64) error {
	return s.states.DeleteCredentials(ctx, userID, awardtracker.SourceLoTW)
}

// DeleteDCLCredentials forgets the user's stored DCL key; see
// DeleteLoTWCredentials.
func (s *Syncer) DeleteDCLCredentials(ctx context.Context, userID int64) error {
	return s.states.DeleteCredentials(ctx, userID, awardtracker.SourceDCL)
}

func (s *Syncer) putCredentials(ctx context.Context, userID int64, src awardtracker.Source, creds any) error {
	if s.box == nil {
		return awardtracker.Errorf(awardtracker.EFORBIDDEN,
			"storing %s credentials is disabled: the service must be started with --secrets.key", sourceName(src))
	}
	plain, err := json.Marshal(creds)
	if err != nil {
		return awardtracker.WrapError(awardtracker.EINTERNAL, "encode credentials", err)
	}
	sealed, err := s.box.Seal(plain, sealContext(userID, src))
	clear(plain)
	if err != nil {
		return awardtracker.WrapError(awardtracker.EINTERNAL, "seal credentials", err)
	}
	return s.states.PutCredentials(ctx, userID, src, sealed)
}

// sealContext binds sealed credentials to their user and source, so that a
// value copied to another row does not open.
func sealContext(userID int64, src awardtracker.Source) string {
	return "sync/" + string(src) + "/" + strconv.FormatInt(userID, 10)
}

func sourceName(src awardtracker.Source) string {
	if src == awardtracker.SourceDCL {
		return "DCL"
	}
	return "LoTW"
}

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
	if job := s.activeJob(userID, src); job != nil {
		return job, nil
	}
	if _, err := s.check(ctx, userID, src); err != nil {
		return nil, err
	}
	job, err := s.claim(userID, src)
	if job != nil && err != nil { // lost a race to another request: report its job
		return job, nil
	}
	if err != nil {
		return nil, err
	}
	go func() {
		defer s.wg.Done()
		s.run(s.base, job)
	}()
	return s.snapshot(job), nil
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
			return nil, &awardtracker.Error{Code: awardtracker.ECONFLICT, Err: tooSoon(next.Sub(now)),
				Message: fmt.Sprintf("a full LoTW download ran at %s; the next one is possible from %s",
					st.LastFullSync.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339))}
		}
	}
	job, err := s.claim(userID, awardtracker.SourceLoTW)
	if err != nil {
		return nil, err
	}
	s.update(job, func(j *awardtracker.SyncJob) { j.Full = true })
	go func() {
		defer s.wg.Done()
		s.run(s.base, job)
	}()
	return s.snapshot(job), nil
}

// tooSoon is the cause of a refused full re-download: how long to wait.
type tooSoon time.Duration

func (d tooSoon) Error() string { return "syncer: full download asked for too soon" }

// RetryAfter tells the HTTP layer what to put in Retry-After.
func (d tooSoon) RetryAfter() time.Duration { return time.Duration(d) }

// Sync runs a sync of the user's src now and returns its finished job, with
// the sync's error (also in the job). If a sync of the same user and source
// is already running it returns that job and ECONFLICT.
func (s *Syncer) Sync(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
	if _, err := s.check(ctx, userID, src); err != nil {
		return nil, err
	}
	job, err := s.claim(userID, src)
	if err != nil {
		return job, err
	}
	defer s.wg.Done()
	err = s.run(ctx, job)
	return s.snapshot(job), err
}

// Job returns one of the user's jobs. Another user's job is ENOTFOUND too.
func (s *Syncer) Job(userID int64, id string) (*awardtracker.SyncJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	job := s.jobs[id]
	if job == nil || job.UserID != userID {
		return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "sync job %q not found", id)
	}
	c := *job
	return &c, nil
}

// Wait blocks until one of the user's jobs has finished, or ctx is done,
// and returns the job. Another user's job is ENOTFOUND.
func (s *Syncer) Wait(ctx context.Context, userID int64, id string) (*awardtracker.SyncJob, error) {
	s.mu.Lock()
	job, done := s.jobs[id], s.done[id]
	s.mu.Unlock()
	if job == nil || job.UserID != userID {
		return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "sync job %q not found", id)
	}
	select {
	case <-done:
		return s.snapshot(job), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Syncer) activeJob(userID int64, src awardtracker.Source) *awardtracker.SyncJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	if job := s.active[jobKey{userID, src}]; job != nil {
		c := *job
		return &c
	}
	return nil
}

// claim creates a queued job for (userID, src) and adds it to the wait
// group, or returns a copy of the job already active and ECONFLICT.
func (s *Syncer) claim(userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, awardtracker.Errorf(awardtracker.EUNAVAILABLE, "the service is shutting down")
	}
	k := jobKey{userID, src}
	if job := s.active[k]; job != nil {
		c := *job
		return &c, awardtracker.Errorf(awardtracker.ECONFLICT, "a %s sync is already running", sourceName(src))
	}
	job := &awardtracker.SyncJob{ID: uuid.NewString(), UserID: userID, Source: src, Status: awardtracker.JobQueued}
	s.active[k] = job
	s.jobs[job.ID] = job
	s.done[job.ID] = make(chan struct{})
	s.order = append(s.order, job.ID)
	s.pruneLocked()
	s.wg.Add(1)
	return job, nil
}

// pruneLocked forgets the oldest finished jobs beyond the retention.
func (s *Syncer) pruneLocked() {
	cutoff := s.now().Add(-jobRetention)
	i := 0
	for ; i < len(s.order); i++ {
		job := s.jobs[s.order[i]]
		if job.FinishedAt == nil || (len(s.jobs) <= maxJobs && job.FinishedAt.After(cutoff)) {
			break
		}
		delete(s.jobs, job.ID)
		delete(s.done, job.ID)
	}
	s.order = s.order[i:]
}

func (s *Syncer) snapshot(job *awardtracker.SyncJob) *awardtracker.SyncJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *job
	return &c
}

func (s *Syncer) update(job *awardtracker.SyncJob, f func(j *awardtracker.SyncJob)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(job)
}

// Close stops the Syncer: running syncs are cancelled (their transactions
// roll back and their cursors stay) and Close waits for them, or for ctx.
func (s *Syncer) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// report is what both upstreams' reports offer.
type report interface {
	Records() iter.Seq2[awardtracker.ImportRecord, error]
	Cursor() string
	Fetched() int
	Close() error
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
	s.update(job, func(j *awardtracker.SyncJob) { j.Status, j.StartedAt = awardtracker.JobRunning, &startedAt })
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
		if err != nil && context.Cause(ctx) == s.errTimeout {
			err = s.errTimeout // whatever the layer that noticed made of it
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
	if src == awardtracker.SourceLoTW && st.Cursor != "" && !lotw.ValidCursor(st.Cursor, s.now().UTC()) {
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
	if p, ok := rep.(interface{ CursorProblem() string }); ok && p.CursorProblem() != "" {
		s.log.Warn("LoTW sent a cursor that cannot be used: the next sync asks for these records again",
			"user_id", userID, "problem", p.CursorProblem())
	}
	return nil
}

// download opens the stored credentials and starts the download.
func (s *Syncer) download(ctx context.Context, st *awardtracker.SyncState) (report, error) {
	if s.box == nil {
		return nil, errCannotOpen(st.Source, "the service was started without --secrets.key")
	}
	plain, err := s.box.Open(st.Credentials, sealContext(st.UserID, st.Source))
	if err != nil {
		return nil, errCannotOpen(st.Source, "was --secrets.key changed?")
	}
	defer clear(plain)
	if st.Source == awardtracker.SourceDCL {
		var c DCLCredentials
		if err := json.Unmarshal(plain, &c); err != nil {
			return nil, errCannotOpen(st.Source, "they are not DCL credentials")
		}
		return s.dcl.Download(ctx, c.Key, st.Cursor)
	}
	var c LoTWCredentials
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, errCannotOpen(st.Source, "they are not LoTW credentials")
	}
	return s.lotw.Download(ctx, c.Username, c.Password, st.Cursor)
}

// errUnreadable marks stored credentials that cannot be decrypted: like a
// rejected login, retrying will not help until the user stores them again.
var errUnreadable = errors.New("syncer: stored credentials unreadable")

func errCannotOpen(src awardtracker.Source, why string) error {
	return &awardtracker.Error{Code: awardtracker.EINTERNAL, Err: errUnreadable,
		Message: fmt.Sprintf("the stored %s credentials cannot be decrypted (%s): store them again", sourceName(src), why)}
}

// classify maps a sync error to its result label.
func classify(err error) string {
	switch {
	case err == nil:
		return ResultSuccess
	case errors.Is(err, lotw.ErrAuth), errors.Is(err, dcl.ErrAuth):
		return ResultAuthError
	case errors.Is(err, lotw.ErrRateLimited), errors.Is(err, dcl.ErrRateLimited):
		return ResultRateLimited
	case errors.Is(err, lotw.ErrTruncated):
		return ResultTruncated
	}
	return ResultError
}

// finish records the outcome: job, sync state, metrics, log, invalidation.
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
	if err == nil {
		s.m.setLastSuccess(src, now)
	}

	// Invalidate before the job reads as finished: whoever waits for the
	// job and then asks for statistics must see the new numbers.
	if err == nil && res.Changed() && s.inv != nil {
		s.inv.InvalidateUser(userID, "sync")
	}

	s.mu.Lock()
	job.FinishedAt = &now
	job.Fetched = fetched
	if err == nil {
		job.Status = awardtracker.JobSucceeded
		job.Imported, job.Updated = res.Imported, res.Updated
	} else {
		job.Status = awardtracker.JobFailed
		job.Error = msg
	}
	delete(s.active, jobKey{userID, src})
	close(s.done[job.ID])
	s.mu.Unlock()

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
// returned.
func (s *Syncer) RunOnce(ctx context.Context, every time.Duration) int {
	var wg sync.WaitGroup
	n := s.dispatch(ctx, every, &wg)
	wg.Wait()
	return n
}

// dispatch starts a sync, in the worker pool, of every user due now, adding
// each to wg, and returns how many it started. A user whose sync is still
// queued or running (a trickling upstream) is skipped, not queued twice.
func (s *Syncer) dispatch(ctx context.Context, every time.Duration, wg *sync.WaitGroup) int {
	if every <= 0 {
		return 0
	}
	ran := 0
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
			if st.LastSuccess != nil {
				s.m.setLastSuccess(src, *st.LastSuccess)
			}
			if ctx.Err() != nil {
				return ran
			}
			if !s.due(st, now, every) {
				continue
			}
			job, err := s.claim(st.UserID, src)
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
				defer s.wg.Done()
				s.run(ctx, job)
			}()
		}
	}
	return ran
}

// Run is the scheduler: every minute or so (finer for short intervals) it
// starts the syncs that are due, as RunOnce does, until ctx is done. every <= 0 disables it. It never stops
// because a sync failed.
func (s *Syncer) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		s.log.Info("Scheduled syncs disabled")
		return nil
	}
	tick := min(max(every/60, time.Second), time.Minute)
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
