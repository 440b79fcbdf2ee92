// Package api serves awardtracker's HTTP API with Echo: the user routes under
// /api, the health and readiness probes, /metrics and the operator routes.
//
// Handlers only decode requests, call the domain services and encode the
// answers; errors are returned as they are and turned into statuses by one
// error handler (Server.handleError). The package holds no business rules.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Pinger checks that the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds a Server's dependencies and settings.
type Config struct {
	Auth  awardtracker.AuthService
	Users awardtracker.UserService
	// QSOs and Imports write through the caches' write side
	// (cache.QSOService), which invalidates: no handler does.
	QSOs    awardtracker.QSOService
	Imports awardtracker.ImportService
	Stats   awardtracker.StatsService
	Awards  awardtracker.AwardService
	Syncer  awardtracker.SyncService
	Caches  awardtracker.CacheService      // counters and the operator's invalidation
	Queries awardtracker.QueryStatsService // query latency for health and the operator
	DB      Pinger

	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	Logger     *slog.Logger

	// APILimit limits every /api route per client; AuthLimit adds a stricter
	// limit to login and register (brute force), HealthLimit one to
	// /api/health. Nil means no limit.
	APILimit, AuthLimit, HealthLimit echo.MiddlewareFunc

	// OperatorToken guards the operator routes; empty disables them.
	OperatorToken string
	// MaxBodyBytes caps JSON bodies; MaxImportBytes caps ADIF uploads.
	MaxBodyBytes   int64
	MaxImportBytes int64
	// PingCacheTTL is how long a successful database ping is reused by
	// /api/health and /readyz (0 means one second; negative disables).
	PingCacheTTL time.Duration
	// MetricsSeparate serves /metrics only on the listener OpenMetrics
	// opens, not on the API's.
	MetricsSeparate bool
	// MaxConnections caps the connections open at once on each listener:
	// a new one beyond it closes the longest idle one, or waits until a
	// request ends when none is idle. 0 means no cap.
	MaxConnections int
	// IPExtractor says which address a request comes from (c.RealIP());
	// nil means the TCP peer's. Set it to one that believes forwarding
	// headers only from trusted proxies, the same the rate limiters use.
	IPExtractor echo.IPExtractor
	// Now is the clock (tests inject one); Started is when the process began.
	Now     func() time.Time
	Started time.Time
	// Version is the program version written into exports.
	Version string
}

// Server is the HTTP server.
type Server struct {
	cfg  Config
	echo *echo.Echo
	srv  *http.Server
	ln   net.Listener
	log  *slog.Logger

	metricsSrv *http.Server
	metricsLn  net.Listener

	routes map[string]bool // see routeSet

	statsBodies statsBodies
	pingOK      atomic.Pointer[time.Time] // last successful database ping

	detailsMu    sync.Mutex // guards the fields below
	perfDetails  *healthPerformance
	cacheDetails *healthCache
	detailsAt    time.Time
}

// NewServer builds the routes. It registers the HTTP metrics on
// cfg.Registerer.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Started.IsZero() {
		cfg.Started = cfg.Now()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.PingCacheTTL == 0 {
		cfg.PingCacheTTL = time.Second
	}
	if cfg.MaxImportBytes == 0 {
		cfg.MaxImportBytes = 64 << 20
	}
	s := &Server{cfg: cfg, echo: echo.New(), log: cfg.Logger}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if cfg.IPExtractor != nil {
		e.IPExtractor = cfg.IPExtractor
	} else {
		// Echo's default believes X-Forwarded-For from anyone.
		e.IPExtractor = echo.ExtractIPDirect()
	}

	metrics, err := newHTTPMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	// Order matters: the metrics middleware sits outside Recover so that a
	// panic is counted as the 500 it becomes, and outside methodNotAllowed
	// so that a 405 is counted as one.
	e.Use(requestID(newRequestIDs()))
	e.Use(secureEcho)
	e.Use(s.logRequests())
	e.Use(metrics.middleware)
	e.Use(recoverPanics)
	e.Use(s.methodNotAllowed)

	s.registerHealthRoutes()
	s.registerAuthRoutes()
	s.registerQSORoutes()
	s.registerAwardRoutes()
	s.registerSyncRoutes()
	s.registerAdminRoutes()
	e.RouteNotFound("/*", func(echo.Context) error {
		return awardtracker.Errorf(awardtracker.ENOTFOUND, "no such route")
	})
	s.routes = routeSet(e)
	return s, nil
}

// limited prepends the API-wide rate limit to a route's middleware, so that
// it runs before authentication (bad tokens are limited too); nil entries
// are dropped.
func (s *Server) limited(mw ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
	out := make([]echo.MiddlewareFunc, 0, len(mw)+1)
	for _, m := range append([]echo.MiddlewareFunc{s.cfg.APILimit}, mw...) {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Handler returns the server's http.Handler (for tests and benchmarks).
func (s *Server) Handler() http.Handler { return s.echo }

// Open starts serving on addr (":0" picks a free port).
func (s *Server) Open(addr string) error {
	ln, connState, err := s.listen(addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.echo,
		ConnState:         connState,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // ADIF uploads can be large
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	}()
	return nil
}

// OpenMetrics serves /metrics alone on a second address, e.g. an internal
// interface that only Prometheus reaches (with Config.MetricsSeparate).
func (s *Server) OpenMetrics(addr string) error {
	ln, connState, err := s.listen(addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	h := s.metricsHandler()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.OperatorToken != "" && !s.isOperatorRequest(r) {
			http.Error(w, "operator token required (Authorization: Bearer or X-API-Key)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
	s.metricsLn = ln
	// A scrape is one small GET: anything slower than this is not
	// Prometheus, and must not hold a connection.
	s.metricsSrv = &http.Server{
		Handler:           secureHTTP(mux),
		ConnState:         connState,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("Metrics server stopped", "err", err)
		}
	}()
	return nil
}

// listen opens a TCP listener on addr, with the connection cap if one is
// set (see connCap), so that a crowd of connections can neither use up the
// process's file descriptors (which the database needs too) nor, by idling,
// keep new clients out. The returned hook is the http.Server's ConnState.
func (s *Server) listen(addr string) (net.Listener, func(net.Conn, http.ConnState), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if s.cfg.MaxConnections <= 0 {
		return ln, nil, nil
	}
	c := newConnCap(ln, s.cfg.MaxConnections)
	return c, c.connState, nil
}

// MetricsURL is the base URL of the metrics listener ("" without one).
func (s *Server) MetricsURL() string { return baseURL(s.metricsLn) }

// URL is the base URL the server listens on.
func (s *Server) URL() string { return baseURL(s.ln) }

func baseURL(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close stops accepting connections and waits for in-flight requests until
// ctx is done.
func (s *Server) Close(ctx context.Context) error {
	var errs []error
	if s.metricsSrv != nil {
		errs = append(errs, s.metricsSrv.Shutdown(ctx))
	}
	if s.srv != nil {
		errs = append(errs, s.srv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// newRequestIDs returns a generator of request ids unique across restarts:
// a random per-process prefix and a counter. Echo's default draws 32
// random characters per request, a visible share of a cached request.
func newRequestIDs() func() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := hex.EncodeToString(b[:]) + "-"
	var n atomic.Uint64
	return func() string { return prefix + strconv.FormatUint(n.Add(1), 36) }
}
