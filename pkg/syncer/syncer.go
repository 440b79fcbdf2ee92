// Package syncer keeps users' QSOs current with their LoTW and DCL
// confirmations.
//
// It provides a Syncer that stores each user's upstream credentials sealed
// (package secret; credentials.go), runs one sync per user and source at a
// time (Sync, synchronously; Start, as a background job the API can poll;
// jobs.go keeps the jobs), applies each download in one storage transaction
// together with the new cursor, backs off after failures (hours when the
// upstream throttles, minutes after a truncated report or a transport error,
// never again after a rejected login until the credentials change; run.go),
// and a scheduler (Run, RunOnce; schedule.go) that syncs every user once per
// interval at a per-user offset, so that LoTW never sees a burst. Every
// sync, scheduled or asked for, runs in a bounded pool of workers
// (Options.Concurrency) under an overall deadline (Options.Timeout), so that
// one upstream that trickles its answer holds one worker for at most that
// long and never the other users' syncs. It exports the awardtracker_sync_*
// metrics.
//
// With Options.Pool (PostgreSQL, a fleet of replicas; queue.go) the jobs,
// their status and the schedule live in River instead of this process:
// one job per user and source across the fleet, the schedule a periodic
// job on River's leader, retries and the rescue of a dead replica's jobs
// River's. The sync itself is the same in both modes.
//
// It knows the upstreams only as awardtracker.LoTWDownloader and
// DCLDownloader, and their failures only by awardtracker.UpstreamCode: it
// does not speak HTTP (packages lotw and dcl do), store anything itself
// (awardtracker.QSOService and SyncStateService do), invalidate caches (the
// cache package's QSOService, which the service passes as QSOs, does) or
// serve the API.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/secret"
)

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

// Options configure a Syncer. QSOs and States are required. Pass as QSOs
// the service whose writes invalidate the caches (cache.QSOService), so
// that a sync's new confirmations show at once.
type Options struct {
	QSOs   awardtracker.QSOService
	States awardtracker.SyncStateService
	LoTW   awardtracker.LoTWDownloader // nil: LoTW sync is not configured
	DCL    awardtracker.DCLDownloader  // nil: DCL sync is not configured
	// Box seals stored credentials; nil means credentials cannot be stored
	// (the service was started without --secrets.key).
	Box *secret.Box
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

	// Pool, when set, is the fleet mode: jobs, their status and the
	// schedule live in River's tables on this PostgreSQL database
	// (migrated by MigrateRiver), so that any replica answers for any job
	// and exactly one runs it. Nil keeps them in this process.
	Pool *pgxpool.Pool
	// RescueAfter is how long a job may run before River takes its
	// replica for dead and retries it elsewhere (fleet mode; default
	// DefaultRescueAfter). It must exceed Timeout.
	RescueAfter time.Duration
	// RetryBase is River's first wait before retrying a failed sync
	// (fleet mode; default RetryBase), doubled on each further attempt.
	RetryBase time.Duration
}

// Syncer runs syncs. It is safe for concurrent use.
//
// It implements awardtracker.SyncService.
type Syncer struct {
	qsos    awardtracker.QSOService
	states  awardtracker.SyncStateService
	lotw    awardtracker.LoTWDownloader
	dcl     awardtracker.DCLDownloader
	box     *secret.Box
	log     *slog.Logger
	now     func() time.Time
	m       *metrics
	started time.Time

	slots      chan struct{} // the worker pool: one token per running sync
	timeout    time.Duration
	errTimeout error // the cause of a sync's context past its deadline

	base   context.Context // cancelled by Close: running syncs roll back
	cancel context.CancelFunc

	jobs *jobRegistry
	q    *queue // nil: the single-machine mode
}

var _ awardtracker.SyncService = (*Syncer)(nil)

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
	if err := opts.Registerer.Register(newLastSuccessCollector(opts.States, opts.Logger)); err != nil {
		return nil, err
	}
	s := &Syncer{
		qsos: opts.QSOs, states: opts.States, lotw: opts.LoTW, dcl: opts.DCL, box: opts.Box,
		log: opts.Logger, now: opts.Now, m: m, jobs: newJobRegistry(opts.Now),
		slots: make(chan struct{}, opts.Concurrency), timeout: opts.Timeout,
		errTimeout: &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Err: context.DeadlineExceeded,
			Message: fmt.Sprintf("the sync did not finish within %v (--sync.timeout)", opts.Timeout)},
	}
	s.started = s.now()
	s.base, s.cancel = context.WithCancel(context.Background())
	if opts.Pool != nil {
		if s.q, err = newQueue(s, opts); err != nil {
			return nil, err
		}
		if err := opts.Registerer.Register(queueCollector{pool: opts.Pool, log: opts.Logger}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close stops the Syncer: running syncs are cancelled (their transactions
// roll back and their cursors stay) and Close waits for them, or for ctx.
func (s *Syncer) Close(ctx context.Context) error {
	s.jobs.close()
	s.cancel()
	if s.q != nil {
		// The cancelled syncs fail their attempts: River retries them on
		// another replica (or this one, restarted).
		if err := s.q.client.StopAndCancel(ctx); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	go func() {
		s.jobs.wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
