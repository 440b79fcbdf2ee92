package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/awardtracker/awardtracker/pkg/api"
	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/importer"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/ratelimit"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// StackOptions configure NewStack.
type StackOptions struct {
	// DBPath is the SQLite file; it is created if missing.
	DBPath string
	// Logger receives the service's logs, request lines included; nil
	// discards them.
	Logger *slog.Logger
	// CacheTTL defaults to 5 minutes, the service's default.
	CacheTTL time.Duration
	// BcryptCost defaults to bcrypt's default, the service's.
	BcryptCost int
}

// Stack is the service as cmd/awardtracker assembles it, minus the syncer
// and the LoTW/DCL clients: one registry with the Go and process
// collectors, query tracking on every SQL statement, the caches with their
// metrics, the rate limiters, and the HTTP API.
type Stack struct {
	Registry   *prometheus.Registry
	Tracker    *perf.Tracker
	DB         *sqlite.DB
	Users      *sqlite.UserService
	QSOs       *sqlite.QSOService
	Auth       *auth.Service
	StatsCache *cache.Cache[*awardtracker.Stats]
	AwardCache *cache.Cache[[]awardtracker.AwardProgress]
	Stats      *cache.StatsService
	Awards     *cache.AwardService
	Caches     *cache.Caches
	Server     *api.Server
}

// NewStack opens (or creates) the database and builds the stack. The
// server is not listening yet: call Server.Open, or use Server.Handler.
func NewStack(ctx context.Context, opts StackOptions) (*Stack, error) {
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	tracker := perf.New(reg, perf.Options{})
	db, err := sqlite.Open(ctx, opts.DBPath, sqlite.Options{Tracker: tracker, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	reg.MustRegister(collectors.NewDBStatsCollector(db.SQLDB(), "awardtracker"))
	reg.MustRegister(db.Collector())

	key, err := db.Secret(ctx, "token_signing_key", 32)
	if err != nil {
		db.Close()
		return nil, err
	}
	users := sqlite.NewUserService(db)
	authSvc, err := auth.NewService(users, key, auth.Options{BcryptCost: opts.BcryptCost})
	if err != nil {
		db.Close()
		return nil, err
	}
	qsos := sqlite.NewQSOService(db)
	cm := cache.NewMetrics(reg)
	s := &Stack{
		Registry: reg, Tracker: tracker, DB: db, Users: users, QSOs: qsos, Auth: authSvc,
		StatsCache: cache.New[*awardtracker.Stats]("stats", opts.CacheTTL, cm),
		AwardCache: cache.New[[]awardtracker.AwardProgress]("award", opts.CacheTTL, cm),
	}
	s.Stats = cache.NewStatsService(sqlite.NewStatsService(db), s.StatsCache)
	s.Awards = cache.NewAwardService(award.NewService(qsos), s.AwardCache)
	s.Caches = cache.NewCaches(s.StatsCache, s.AwardCache)
	writes := cache.NewQSOService(qsos, s.Caches)
	// The rate limiters run as in production, but with a rate no benchmark
	// reaches: their cost is part of every request, their refusals would
	// not be (production allows 20 requests/s per client address, and wrk
	// is one address).
	rl := ratelimit.NewMetrics(reg)
	limit := func(name string) echo.MiddlewareFunc {
		return ratelimit.New(ratelimit.Policy{Name: name, Rate: 1e12, Burst: 1 << 30}, rl).Middleware()
	}
	s.Server, err = api.NewServer(api.Config{
		APILimit: limit("api"), AuthLimit: limit("auth"), HealthLimit: limit("health"),
		Auth: authSvc, Users: users, QSOs: writes, Imports: importer.New(writes, ""), Stats: s.Stats, Awards: s.Awards,
		Caches: s.Caches, Queries: tracker, DB: db,
		Registerer: reg, Gatherer: reg, Logger: opts.Logger,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the server, if it was opened, and closes the database.
func (s *Stack) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.Server.Close(ctx)
	return s.DB.Close()
}

// placeholderHash stands in for a bcrypt hash: fixtures create thousands of
// users, and hashing is not what they measure. Nobody logs in as them.
var placeholderHash = bytes.Repeat([]byte("x"), 60)

// CreateUsers creates n users named <prefix><i> and returns their ids.
func CreateUsers(ctx context.Context, users awardtracker.UserService, prefix string, n int) ([]int64, error) {
	ids := make([]int64, n)
	for i := range n {
		u, err := users.CreateUser(ctx, fmt.Sprintf("%s%d", prefix, i), placeholderHash)
		if err != nil {
			return nil, err
		}
		ids[i] = u.ID
	}
	return ids, nil
}

// TempDBPath is a database file name in dir.
func TempDBPath(dir, name string) string { return filepath.Join(dir, name+".db") }
