package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func (s *Server) registerHealthRoutes() {
	getAndHead(s.echo, "/api/health", s.handleHealth, s.limited(s.cfg.HealthLimit)...)
	getAndHead(s.echo, "/livez", s.handleLivez)
	getAndHead(s.echo, "/readyz", s.handleReadyz)
	if s.cfg.Gatherer != nil && !s.cfg.MetricsSeparate {
		getAndHead(s.echo, "/metrics", echo.WrapHandler(s.metricsHandler()), s.requireOperatorIfSet)
	}
}

// metricsHandler serves the registry (callers check the operator token).
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog:          slogPrinter{s},
		EnableOpenMetrics: true,
	})
}

// The /api/health body keeps the old service's shape key for key and type
// for type (its monitoring scripts parse it), so it is built from structs
// whose field order is the old order, not from the domain types.
type healthResponse struct {
	Status      string             `json:"status"`
	Timestamp   string             `json:"timestamp"`
	Uptime      float64            `json:"uptime"`
	Performance *healthPerformance `json:"performance,omitempty"`
	Cache       *healthCache       `json:"cache,omitempty"`
}

type healthPerformance struct {
	TotalQueries    int64         `json:"totalQueries"`
	TotalTime       float64       `json:"totalTime"` // milliseconds
	AvgTime         string        `json:"avgTime"`   // "3.28ms"
	SlowQueries     int64         `json:"slowQueries"`
	CriticalQueries int64         `json:"criticalQueries"`
	TopSlowest      []healthQuery `json:"topSlowest"`
}

type healthQuery struct {
	Query   string `json:"query"`
	AvgTime string `json:"avgTime"`
	P95Time string `json:"p95Time"`
	Count   int64  `json:"count"`
}

type healthCache struct {
	Total      int              `json:"total"`
	Valid      int              `json:"valid"`
	Expired    int              `json:"expired"`
	TTL        int64            `json:"ttl"`     // milliseconds
	HitRate    string           `json:"hitRate"` // "92%": the old alert script compares it as an integer
	AwardCache healthCacheStats `json:"awardCache"`
	StatsCache healthCacheStats `json:"statsCache"`
}

type healthCacheStats struct {
	Size   int    `json:"size"`
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
}

// jsTime formats like JavaScript's Date.toISOString, as the old service did.
const jsTime = "2006-01-02T15:04:05.000Z"

func (s *Server) handleHealth(c echo.Context) error {
	now := s.cfg.Now()
	resp := healthResponse{
		Status:    "ok",
		Timestamp: now.UTC().Format(jsTime),
		Uptime:    now.Sub(s.cfg.Started).Seconds(),
	}
	status := http.StatusOK
	if err := s.ping(c.Request().Context()); err != nil {
		resp.Status, status = "error", http.StatusServiceUnavailable
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if s.cfg.OperatorToken != "" && !s.isOperator(c) {
		return c.JSON(status, resp)
	}
	resp.Performance, resp.Cache = s.healthDetails()
	return c.JSON(status, resp)
}

func healthPerf(sum awardtracker.QuerySummary) *healthPerformance {
	p := &healthPerformance{
		TotalQueries:    sum.TotalQueries,
		TotalTime:       round2(ms(sum.TotalTime)),
		AvgTime:         msString(sum.Avg),
		SlowQueries:     sum.SlowQueries,
		CriticalQueries: sum.CriticalQueries,
		TopSlowest:      []healthQuery{},
	}
	for _, q := range sum.TopSlowest {
		p.TopSlowest = append(p.TopSlowest, healthQuery{Query: q.Query, AvgTime: msString(q.Avg), P95Time: msString(q.P95), Count: q.Count})
	}
	return p
}

// healthCaches sums the caches' counters; the statistics and award caches
// also appear by name, as the old service showed them.
func healthCaches(counters []awardtracker.CacheCounters) *healthCache {
	var st, aw awardtracker.CacheCounters
	for _, c := range counters {
		switch c.Name {
		case "stats":
			st = c
		case "award":
			aw = c
		}
	}
	hits, misses := st.Hits+aw.Hits, st.Misses+aw.Misses
	rate := 0
	if hits+misses > 0 {
		rate = int(math.Round(100 * float64(hits) / float64(hits+misses)))
	}
	return &healthCache{
		Total:      st.Size + aw.Size,
		Valid:      st.Valid + aw.Valid,
		Expired:    st.Expired + aw.Expired,
		TTL:        st.TTL.Milliseconds(),
		HitRate:    strconv.Itoa(rate) + "%",
		AwardCache: healthCacheStats{Size: aw.Size, Hits: aw.Hits, Misses: aw.Misses},
		StatsCache: healthCacheStats{Size: st.Size, Hits: st.Hits, Misses: st.Misses},
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// msString writes a duration like the old service: "3.28ms", "0ms".
func msString(d time.Duration) string {
	return strconv.FormatFloat(round2(ms(d)), 'f', -1, 64) + "ms"
}

func (s *Server) handleLivez(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

func (s *Server) handleReadyz(c echo.Context) error {
	if err := s.ping(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// ping checks the database with a short timeout: a probe must answer fast.
// A success is reused for PingCacheTTL so that health checks cannot be used
// to hammer the database; a failure is never reused, so recovery shows at
// once.
func (s *Server) ping(ctx context.Context) error {
	if ttl := s.cfg.PingCacheTTL; ttl > 0 {
		if at := s.pingOK.Load(); at != nil && time.Since(*at) < ttl {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.cfg.DB.Ping(ctx); err != nil {
		s.pingOK.Store(nil)
		return err
	}
	now := time.Now()
	s.pingOK.Store(&now)
	return nil
}

// slogPrinter adapts the logger to promhttp's error log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) {
	p.s.log.Error("Serving metrics", "err", v)
}

// detailsMaxAge is how long the detailed health figures are reused. The
// query summary copies and sorts every query's window (up to 1,000 samples
// each) and the cache counts walk every cached item: more than the rest of a
// health request together, and monitors poll every few seconds.
const detailsMaxAge = time.Second

// healthDetails returns the performance and cache parts of /api/health,
// computed at most once per detailsMaxAge on the monotonic clock (not
// cfg.Now, which tests freeze).
func (s *Server) healthDetails() (*healthPerformance, *healthCache) {
	s.detailsMu.Lock()
	defer s.detailsMu.Unlock()
	if s.detailsAt.IsZero() || time.Since(s.detailsAt) >= detailsMaxAge {
		s.perfDetails = healthPerf(s.cfg.Queries.Summary())
		s.cacheDetails = healthCaches(s.cfg.Caches.CacheCounters())
		s.detailsAt = time.Now()
	}
	return s.perfDetails, s.cacheDetails
}
