// Package app assembles awardtracker: it is the one place that builds the
// service graph (storage, query tracking, caches, authentication, the
// LoTW/DCL clients and the syncer, rate limits and the HTTP API) and runs
// it. cmd/awardtracker calls it with the command line's configuration; the
// end-to-end tests and the benchmark suite call it with their overrides, so
// that what they measure and check is what production runs.
//
// It does not parse flags, handle signals or choose exit codes: that is
// cmd/awardtracker's job.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"

	"github.com/awardtracker/awardtracker/pkg/api"
	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/backup"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/importer"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/ratelimit"
	"github.com/awardtracker/awardtracker/pkg/secret"
	"github.com/awardtracker/awardtracker/pkg/syncer"
)

// Config is what the service is run with. The first block mirrors the
// command line (see the README's configuration table); cmd/awardtracker
// fills it from flags, whose defaults are the production values. Zero
// values here mean what the packages default to, not the flags' defaults.
type Config struct {
	// ListenAddress is where the API is served; empty: nowhere (a
	// benchmark drives Server.Handler() itself).
	ListenAddress  string
	MetricsAddress string // empty: /metrics is served on ListenAddress
	OperatorToken  string
	// Rate limits per client address in ratelimit.ParsePolicy syntax;
	// empty or "0": no limit.
	RateAPI, RateAuth, RateHealth string
	TrustedProxies                []netip.Prefix
	MaxBodyBytes                  int64
	MaxImportBytes                int64
	MaxConnections                int

	// The database: PostgreSQL when DBURL (a postgres:// URL) is set,
	// else the SQLite file DBPath.
	DBPath string
	DBURL  string
	Demo   bool
	// Scheduled backups: every BackupInterval (0: none) into BackupDir,
	// keeping the newest BackupKeep.
	BackupDir      string
	BackupInterval time.Duration
	BackupKeep     int
	CacheTTL       time.Duration // 0 disables the caches, as --cache.ttl=0 does

	SyncInterval    time.Duration // 0: no scheduled syncs
	SyncConcurrency int
	SyncTimeout     time.Duration
	// SyncRescueAfter is, on PostgreSQL, how long a sync job may run
	// before River hands it to another replica (0: syncer's default).
	SyncRescueAfter    time.Duration
	SecretsKey         string
	LoTWURL            string
	LoTWMaxReportBytes int64
	DCLURL             string

	// QueryDelay is added to every database query (the hidden
	// --debug.query-delay, to rehearse the slow-query alerts).
	QueryDelay time.Duration
	// SyncRetryBase is River's first wait before retrying a failed or
	// rescued sync (the hidden --debug.sync-retry-base; 0: the syncer's
	// 5 minutes), so that the replica-loss test need not wait minutes.
	SyncRetryBase time.Duration

	// What tests and benchmarks override; production leaves them zero.

	// BcryptCost defaults to bcrypt's default cost.
	BcryptCost int
	// Now is the clock of authentication, the API and the syncer
	// (default time.Now).
	Now func() time.Time
	// PingCacheTTL is api.Config.PingCacheTTL (negative: every health
	// check pings the database).
	PingCacheTTL time.Duration
}

// Main is the assembled service. Build it with New, start it with Run and
// stop it with Close. The exported parts are set by Run, for tests and
// benchmarks that reach past the HTTP API (fixtures are written through the
// same services the API uses).
type Main struct {
	Config Config
	// Logger receives the service's logs (nil: discarded); Stdout the
	// demo's login instructions (nil: discarded).
	Logger *slog.Logger
	Stdout io.Writer

	Registry *prometheus.Registry
	Tracker  *perf.Tracker
	DB       *gormstore.DB
	Users    *gormstore.UserService
	// QSOs is the one writer of QSOs (API, syncer, demo): it invalidates
	// the caches on every write.
	QSOs       *cache.QSOService
	Auth       *auth.Service
	StatsCache *cache.Cache[*awardtracker.Stats]
	AwardCache *cache.Cache[[]awardtracker.AwardProgress]
	Caches     *cache.Caches
	Stats      *cache.StatsService
	Awards     *cache.AwardService
	Syncer     *syncer.Syncer
	Backups    *backup.Scheduler // nil without scheduled backups
	// Notifier carries cache invalidations between the replicas sharing a
	// PostgreSQL database; nil on SQLite (one process).
	Notifier *postgres.Notifier
	Server   *api.Server

	// closers stop what Run started, run in reverse order by Close.
	closers []func(context.Context) error
}

// New returns a Main that will run with cfg.
func New(cfg Config, log *slog.Logger, stdout io.Writer) *Main {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if stdout == nil {
		stdout = io.Discard
	}
	return &Main{Config: cfg, Logger: log, Stdout: stdout}
}

// Run builds the service graph, seeds the demo if asked, opens the
// listeners and starts the scheduled syncs and backups; it returns once the
// service serves. On an error, whatever it started is stopped again.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = m.Close(context.Background())
		}
	}()
	cfg, log := m.Config, m.Logger
	started := m.now()

	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		// awardtracker_build_info, from the variables that -ldflags set in
		// prometheus/common/version (see the Makefile and Dockerfile).
		versioncollector.NewCollector("awardtracker"),
	)

	m.Tracker = perf.New(m.Registry, perf.Options{})
	// On PostgreSQL other replicas may share the database: they hear of
	// this one's writes, and it of theirs, through LISTEN/NOTIFY.
	if cfg.DBURL != "" {
		if m.Notifier, err = postgres.NewNotifier(cfg.DBURL, postgres.NotifierOptions{Registerer: m.Registry, Logger: log}); err != nil {
			return err
		}
	}
	var backupSource backup.Source
	m.DB, backupSource, err = openDB(ctx, &cfg, gormstore.Options{Tracker: m.Tracker, Logger: log, QueryDelay: cfg.QueryDelay}, m.Notifier)
	if err != nil {
		return err
	}
	m.closers = append(m.closers, func(context.Context) error { return m.DB.Close() })
	m.Registry.MustRegister(collectors.NewDBStatsCollector(m.DB.SQLDB(), "awardtracker"))
	m.Registry.MustRegister(m.DB.Collector())
	engine, dbName := cfg.dbName()
	log.Info("Database open", "engine", engine, "db", dbName)

	if cfg.BackupInterval > 0 {
		m.Backups, err = backup.New(backup.Options{Dir: cfg.BackupDir, Interval: cfg.BackupInterval, Keep: cfg.BackupKeep,
			Source: backupSource, Registerer: m.Registry, Logger: log})
		if err != nil {
			return err
		}
		log.Info("Scheduled backups", "dir", cfg.BackupDir, "interval", cfg.BackupInterval, "keep", cfg.BackupKeep)
	}

	key, err := m.DB.Secret(ctx, "token_signing_key", 32)
	if err != nil {
		return fmt.Errorf("token signing key: %w", err)
	}
	m.Users = gormstore.NewUserService(m.DB)
	authOpts := auth.Options{Registerer: m.Registry, BcryptCost: cfg.BcryptCost, Now: cfg.Now}
	if cfg.DBURL != "" {
		// Replicas share the per-account login back-off, or N of them
		// would give a guesser N times the attempts. One SQLite process
		// keeps it in memory.
		authOpts.Attempts = gormstore.NewLoginAttemptService(m.DB)
	}
	m.Auth, err = auth.NewService(m.Users, key, authOpts)
	if err != nil {
		return err
	}
	stored := gormstore.NewQSOService(m.DB)

	cm := cache.NewMetrics(m.Registry)
	m.StatsCache = cache.New[*awardtracker.Stats]("stats", cfg.CacheTTL, cm)
	m.AwardCache = cache.New[[]awardtracker.AwardProgress]("award", cfg.CacheTTL, cm)
	m.Caches = cache.NewCaches(m.StatsCache, m.AwardCache)
	m.QSOs = cache.NewQSOService(stored, m.Caches)
	m.Stats = cache.NewStatsService(gormstore.NewStatsService(m.DB), m.StatsCache)
	m.Awards = cache.NewAwardService(award.NewService(stored), m.AwardCache)

	if m.Syncer, err = m.newSyncer(ctx); err != nil {
		return err
	}

	if cfg.OperatorToken == "" {
		log.Warn("No --web.operator-token: /metrics and the detailed /api/health are public and the operator endpoints are disabled")
	}
	rl := ratelimit.NewMetrics(m.Registry)
	// Behind trusted proxies, the client is who they say; otherwise the
	// limiters key by the connection's address, as they do by default.
	clientIP := ratelimit.TrustedProxies(cfg.TrustedProxies)
	var limitOpts []ratelimit.Option
	if len(cfg.TrustedProxies) > 0 {
		limitOpts = append(limitOpts, ratelimit.WithIPExtractor(clientIP))
	}
	var limitErr error
	limit := func(name, spec string) echo.MiddlewareFunc {
		if spec == "" {
			return nil
		}
		rate, burst, err := ratelimit.ParsePolicy(spec)
		if err != nil {
			limitErr = errors.Join(limitErr, err)
			return nil
		}
		if rate <= 0 {
			return nil
		}
		return ratelimit.New(ratelimit.Policy{Name: name, Rate: rate, Burst: burst}, rl, limitOpts...).Middleware()
	}
	apiLimit, authLimit, healthLimit := limit("api", cfg.RateAPI), limit("auth", cfg.RateAuth), limit("health", cfg.RateHealth)
	if limitErr != nil {
		return limitErr
	}
	m.Server, err = api.NewServer(api.Config{
		APILimit: apiLimit, AuthLimit: authLimit, HealthLimit: healthLimit,
		Auth: m.Auth, Users: m.Users, QSOs: m.QSOs, Imports: importer.New(m.QSOs, ""), Stats: m.Stats, Awards: m.Awards,
		Syncer: m.Syncer, Caches: m.Caches, Queries: m.Tracker, DB: m.DB,
		Registerer: m.Registry, Gatherer: m.Registry, Logger: log, OperatorToken: cfg.OperatorToken,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxImportBytes: cfg.MaxImportBytes, PingCacheTTL: cfg.PingCacheTTL,
		MetricsSeparate: cfg.MetricsAddress != "", MaxConnections: cfg.MaxConnections, IPExtractor: clientIP,
		Now: cfg.Now, Started: started, Version: version.Version,
	})
	if err != nil {
		return err
	}
	// Closed after the syncer (closers run in reverse): running syncs are
	// cancelled and roll back rather than keep in-flight requests (and
	// shutdown) waiting. Close on a server never opened is a no-op.
	m.closers = append(m.closers, m.Server.Close, m.Syncer.Close)

	if cfg.Demo {
		if err := m.seedDemo(ctx); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if cfg.ListenAddress != "" {
		if err := m.Server.Open(cfg.ListenAddress); err != nil {
			return err
		}
	}
	if cfg.MetricsAddress != "" {
		if err := m.Server.OpenMetrics(cfg.MetricsAddress); err != nil {
			return err
		}
		log.Info("Serving metrics", "url", m.Server.MetricsURL()+"/metrics")
	}
	if cfg.ListenAddress != "" {
		// Last: the child-process tests take this line to mean that
		// every listener is open.
		log.Info("Serving", "url", m.Server.URL(), "version", version.Version)
	}
	if cfg.Demo && cfg.ListenAddress != "" {
		m.printDemoLogin()
	}

	loopCtx, cancelLoop := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	loops.Go(func() { _ = m.Syncer.Run(loopCtx, cfg.SyncInterval) })
	if m.Backups != nil {
		loops.Go(func() { m.Backups.Run(loopCtx) })
	}
	if m.Notifier != nil {
		loops.Go(func() { _ = m.Notifier.Listen(loopCtx, m.Caches) })
	}
	done := make(chan struct{})
	go func() { defer close(done); loops.Wait() }()
	m.closers = append(m.closers, func(ctx context.Context) error {
		cancelLoop()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return nil
}

// Close stops what Run started, in the reverse order: the scheduled syncs
// and backups, running syncs, the HTTP server (draining requests until ctx is done),
// the database. It may be called more than once.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i](ctx))
	}
	m.closers = nil
	return errors.Join(errs...)
}

// URL is the API's base URL, once Run opened it.
func (m *Main) URL() string { return m.Server.URL() }

// newSyncer builds the LoTW and DCL clients and the syncer around them.
// On PostgreSQL the syncer's jobs and schedule live in River, on a pool of
// their own (River speaks pgx, the storage database/sql through GORM),
// after River's migrations; the pool is closed after the syncer.
func (m *Main) newSyncer(ctx context.Context) (*syncer.Syncer, error) {
	cfg := m.Config
	var box *secret.Box
	if cfg.SecretsKey != "" {
		var err error
		if box, err = secret.NewBox(cfg.SecretsKey); err != nil {
			return nil, err
		}
	} else {
		m.Logger.Warn("No --secrets.key: users cannot store LoTW or DCL credentials, so nothing will sync")
	}
	var pool *pgxpool.Pool
	if cfg.DBURL != "" {
		pcfg, err := pgxpool.ParseConfig(cfg.DBURL)
		if err != nil {
			return nil, fmt.Errorf("sync queue: %s: %w", postgres.Redact(cfg.DBURL), err)
		}
		// pgx's default (4 on a small machine) is too few: River's
		// listener holds one connection, and its fetches, completions and
		// leader election should not queue behind each other.
		pcfg.MaxConns = 8
		if pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
			return nil, fmt.Errorf("sync queue: %s: %w", postgres.Redact(cfg.DBURL), err)
		}
		if err := syncer.MigrateRiver(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
	}
	s, err := syncer.New(syncer.Options{
		QSOs:   m.QSOs,
		States: gormstore.NewSyncStateService(m.DB),
		// Both clients name this build in their User-Agent, the version
		// awardtracker_build_info and --version show.
		LoTW:        lotw.New(lotw.Options{URL: cfg.LoTWURL, Version: version.Version, MaxReportBytes: cfg.LoTWMaxReportBytes}),
		DCL:         dcl.New(dcl.Options{URL: cfg.DCLURL, Version: version.Version}),
		Box:         box,
		Registerer:  m.Registry,
		Logger:      m.Logger,
		Now:         m.Config.Now,
		Concurrency: cfg.SyncConcurrency,
		Timeout:     cfg.SyncTimeout,
		Pool:        pool,
		RescueAfter: cfg.SyncRescueAfter,
		RetryBase:   cfg.SyncRetryBase,
	})
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, err
	}
	if pool != nil {
		// Runs after the syncer's own closer (closers run last first);
		// closing the syncer again is a no-op, and stops River's client
		// when Run failed before it added that closer.
		m.closers = append(m.closers, func(ctx context.Context) error {
			err := s.Close(ctx)
			pool.Close()
			return err
		})
	}
	return s, nil
}
