// Command awardtracker serves the award tracker: it wires the storage,
// caches, query tracking, sync clients and HTTP API together, and runs until
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/awardtracker/awardtracker/pkg/api"
	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/backup"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/importer"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/ratelimit"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run starts the service and blocks until ctx is done. ready, if not nil,
// receives the server's URL once it serves (end-to-end tests use it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	cfg, err := parseConfig(args, stdout, stderr)
	var exit errExit
	if errors.As(err, &exit) {
		return exit.code
	}
	if err != nil {
		fmt.Fprintln(stderr, "awardtracker:", err)
		return 2
	}
	log := cfg.logger(stderr)
	switch cfg.command {
	case "backup":
		return runBackup(ctx, cfg, log)
	case "migrate-db":
		return runMigrateDB(ctx, cfg, log)
	}
	app, err := start(ctx, cfg, log, stdout)
	if err != nil {
		log.Error("Cannot start", "err", err)
		return 1
	}
	if ready != nil {
		ready <- app.server.URL()
	}
	<-ctx.Done()
	log.Info("Shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.close(shutdownCtx); err != nil {
		log.Error("Unclean shutdown", "err", err)
		return 1
	}
	log.Info("Stopped")
	return 0
}

// app is the running service.
type app struct {
	server  *api.Server
	closers []func(context.Context) error
}

// close stops the parts in the reverse order of their start.
func (a *app) close(ctx context.Context) error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i](ctx))
	}
	return errors.Join(errs...)
}

func start(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) (_ *app, err error) {
	started := time.Now()
	a := &app{}
	defer func() {
		if err != nil {
			_ = a.close(context.Background())
		}
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("awardtracker"),
	)

	tracker := perf.New(reg, perf.Options{})
	// On PostgreSQL other replicas may share the database: they hear of
	// this one's writes, and it of theirs, through LISTEN/NOTIFY.
	var notifier *postgres.Notifier
	if cfg.dbURL != "" {
		if notifier, err = postgres.NewNotifier(cfg.dbURL, postgres.NotifierOptions{Registerer: reg, Logger: log}); err != nil {
			return nil, err
		}
	}
	db, backupSource, err := openDB(ctx, cfg, gormstore.Options{Tracker: tracker, Logger: log, QueryDelay: cfg.queryDelay}, notifier)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func(context.Context) error { return db.Close() })
	reg.MustRegister(collectors.NewDBStatsCollector(db.SQLDB(), "awardtracker"))
	reg.MustRegister(db.Collector())
	engine, dbName := cfg.dbName()
	log.Info("Database open", "engine", engine, "db", dbName)

	var backups *backup.Scheduler
	if cfg.backupInterval > 0 {
		backups, err = backup.New(backup.Options{Dir: cfg.backupDir, Interval: cfg.backupInterval, Keep: cfg.backupKeep,
			Source: backupSource, Registerer: reg, Logger: log})
		if err != nil {
			return nil, err
		}
		log.Info("Scheduled backups", "dir", cfg.backupDir, "interval", cfg.backupInterval, "keep", cfg.backupKeep)
	}

	key, err := db.Secret(ctx, "token_signing_key", 32)
	if err != nil {
		return nil, fmt.Errorf("token signing key: %w", err)
	}
	users := gormstore.NewUserService(db)
	authSvc, err := auth.NewService(users, key, auth.Options{Registerer: reg})
	if err != nil {
		return nil, err
	}
	stored := gormstore.NewQSOService(db)

	cm := cache.NewMetrics(reg)
	statsCache := cache.New[*awardtracker.Stats]("stats", cfg.cacheTTL, cm)
	awardCache := cache.New[[]awardtracker.AwardProgress]("award", cfg.cacheTTL, cm)
	caches := cache.NewCaches(statsCache, awardCache)
	// Every writer of QSOs (API, syncer, demo) gets this one: its writes
	// invalidate the caches.
	qsos := cache.NewQSOService(stored, caches)
	stats := cache.NewStatsService(gormstore.NewStatsService(db), statsCache)
	awards := cache.NewAwardService(award.NewService(stored), awardCache)

	if cfg.demo {
		fake := startDemoLoTW(cfg, log)
		a.closers = append(a.closers, func(context.Context) error { fake.Close(); return nil })
	}
	syncer, err := newSyncer(cfg, log, reg, db, qsos)
	if err != nil {
		return nil, err
	}

	if cfg.operatorToken == "" {
		log.Warn("No --web.operator-token: /metrics and the detailed /api/health are public and the operator endpoints are disabled")
	}
	rl := ratelimit.NewMetrics(reg)
	// Behind trusted proxies, the client is who they say; otherwise the
	// limiters key by the connection's address, as they do by default.
	clientIP := ratelimit.TrustedProxies(cfg.trustedProxies)
	var limitOpts []ratelimit.Option
	if len(cfg.trustedProxies) > 0 {
		limitOpts = append(limitOpts, ratelimit.WithIPExtractor(clientIP))
	}
	limit := func(name, spec string) echo.MiddlewareFunc {
		rate, burst, _ := ratelimit.ParsePolicy(spec) // validated by parseConfig
		if rate <= 0 {
			return nil
		}
		return ratelimit.New(ratelimit.Policy{Name: name, Rate: rate, Burst: burst}, rl, limitOpts...).Middleware()
	}
	srv, err := api.NewServer(api.Config{
		APILimit: limit("api", cfg.rateAPI), AuthLimit: limit("auth", cfg.rateAuth), HealthLimit: limit("health", cfg.rateHealth),
		Auth: authSvc, Users: users, QSOs: qsos, Imports: importer.New(qsos, ""), Stats: stats, Awards: awards,
		Syncer: syncer, Caches: caches, Queries: tracker, DB: db,
		Registerer: reg, Gatherer: reg, Logger: log, OperatorToken: cfg.operatorToken,
		MaxBodyBytes: cfg.maxBodyBytes, MaxImportBytes: cfg.maxImportBytes, Started: started,
		MetricsSeparate: cfg.metricsAddress != "", MaxConnections: cfg.maxConnections, IPExtractor: clientIP,
		Version: version(),
	})
	if err != nil {
		return nil, err
	}
	if cfg.demo {
		if err := seedDemo(ctx, log, authSvc, users, qsos, syncer); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	if err := srv.Open(cfg.listenAddress); err != nil {
		return nil, err
	}
	a.server = srv
	a.closers = append(a.closers, srv.Close)
	// Closed before the server drains: running syncs are cancelled and roll
	// back rather than keep in-flight requests (and shutdown) waiting.
	a.closers = append(a.closers, syncer.Close)
	if cfg.metricsAddress != "" {
		if err := srv.OpenMetrics(cfg.metricsAddress); err != nil {
			return nil, err
		}
		log.Info("Serving metrics", "url", srv.MetricsURL()+"/metrics")
	}
	log.Info("Serving", "url", srv.URL(), "version", version())
	if cfg.demo {
		printDemoLogin(stdout, srv.URL(), log)
	}

	loopCtx, cancelLoop := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	loops.Go(func() { syncer.Run(loopCtx, cfg.syncInterval) })
	if backups != nil {
		loops.Go(func() { backups.Run(loopCtx) })
	}
	if notifier != nil {
		loops.Go(func() { _ = notifier.Listen(loopCtx, caches) })
	}
	done := make(chan struct{})
	go func() { defer close(done); loops.Wait() }()
	a.closers = append(a.closers, func(ctx context.Context) error {
		cancelLoop()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return a, nil
}

// runBackup is the backup command: a consistent copy of the database file,
// which a running service may have open, written safely to --to.
func runBackup(ctx context.Context, cfg *config, log *slog.Logger) int {
	// Renaming the backup over the live database would swap it under the
	// running service, which would go on writing to the unlinked file.
	if dbFile, err := os.Stat(cfg.dbPath); err == nil {
		if to, err := os.Stat(cfg.backupTo); err == nil && os.SameFile(dbFile, to) {
			log.Error("Backup refused: --to is the database itself", "path", cfg.backupTo)
			return 2
		}
	}
	src := backup.SourceFunc(func(ctx context.Context, path string) error {
		return sqlite.BackupFile(ctx, cfg.dbPath, path)
	})
	started := time.Now()
	size, err := backup.WriteFile(ctx, src, cfg.backupTo)
	if err != nil {
		log.Error("Backup failed", "err", err)
		return 1
	}
	log.Info("Backup written", "path", cfg.backupTo, "bytes", size, "duration", time.Since(started))
	return 0
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}
