package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func (s *Server) registerAdminRoutes() {
	g := s.echo.Group("/api/admin", s.limited(s.requireOperator)...)
	getAndHead(g, "/performance", s.handlePerformanceView)
	getAndHead(g, "/performance/slow", s.handleSlowQueryIndex)
	getAndHead(g, "/cache", s.handleCacheView)
	g.POST("/cache/invalidate", s.handleCacheInvalidate)
}

// isOperator reports whether the request carries the operator token, as a
// bearer token or an X-API-Key header. Both sides are hashed first so that
// the comparison takes the same time whatever the lengths.
func (s *Server) isOperator(c echo.Context) bool { return s.isOperatorRequest(c.Request()) }

func (s *Server) isOperatorRequest(r *http.Request) bool {
	if s.cfg.OperatorToken == "" {
		return false
	}
	h := r.Header
	got, ok := strings.CutPrefix(h.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok {
		got = h.Get("X-API-Key")
	}
	if got == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.cfg.OperatorToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s *Server) requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.OperatorToken == "" {
			return awardtracker.Errorf(awardtracker.EFORBIDDEN,
				"operator endpoints are disabled: start awardtracker with --web.operator-token (or AWARDTRACKER_WEB_OPERATOR_TOKEN)")
		}
		if !s.isOperator(c) {
			return awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "operator token required (Authorization: Bearer or X-API-Key)")
		}
		return next(c)
	}
}

// requireOperatorIfSet guards a route only when an operator token is set.
func (s *Server) requireOperatorIfSet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.OperatorToken != "" && !s.isOperator(c) {
			return awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "operator token required (Authorization: Bearer or X-API-Key)")
		}
		return next(c)
	}
}

// queryStats is awardtracker.QueryStats with durations in milliseconds.
type queryStats struct {
	Query    string  `json:"query"`
	Count    int64   `json:"count"`
	TotalMs  float64 `json:"totalMs"`
	AvgMs    float64 `json:"avgMs"`
	MinMs    float64 `json:"minMs"`
	MaxMs    float64 `json:"maxMs"`
	P50Ms    float64 `json:"p50Ms"`
	P95Ms    float64 `json:"p95Ms"`
	P99Ms    float64 `json:"p99Ms"`
	Rating   string  `json:"rating"`
	Slow     int64   `json:"slow"`
	Critical int64   `json:"critical"`
}

func toQueryStats(q awardtracker.QueryStats) queryStats {
	return queryStats{
		Query: q.Query, Count: q.Count, TotalMs: round2(ms(q.Total)), AvgMs: round2(ms(q.Avg)),
		MinMs: round2(ms(q.Min)), MaxMs: round2(ms(q.Max)), P50Ms: round2(ms(q.P50)), P95Ms: round2(ms(q.P95)),
		P99Ms: round2(ms(q.P99)), Rating: q.Rating, Slow: q.Slow, Critical: q.Critical,
	}
}

type degradation struct {
	Query      string  `json:"query"`
	BaselineMs float64 `json:"baselineP95Ms"`
	RecentMs   float64 `json:"recentP95Ms"`
	Factor     float64 `json:"factor"`
}

type performanceResponse struct {
	TotalQueries    int64         `json:"totalQueries"`
	TotalMs         float64       `json:"totalMs"`
	AvgMs           float64       `json:"avgMs"`
	SlowQueries     int64         `json:"slowQueries"`
	CriticalQueries int64         `json:"criticalQueries"`
	Rating          string        `json:"rating"`
	Queries         []queryStats  `json:"queries"`
	Degraded        []degradation `json:"degraded"`
}

func (s *Server) handlePerformanceView(c echo.Context) error {
	sum := s.cfg.Queries.Summary()
	resp := performanceResponse{
		TotalQueries: sum.TotalQueries, TotalMs: round2(ms(sum.TotalTime)), AvgMs: round2(ms(sum.Avg)),
		SlowQueries: sum.SlowQueries, CriticalQueries: sum.CriticalQueries, Rating: sum.Rating,
		Queries: []queryStats{}, Degraded: []degradation{},
	}
	for _, q := range sum.Queries {
		resp.Queries = append(resp.Queries, toQueryStats(q))
	}
	for _, d := range s.cfg.Queries.Degraded() {
		resp.Degraded = append(resp.Degraded, degradation{Query: d.Query, BaselineMs: round2(ms(d.Baseline)), RecentMs: round2(ms(d.Recent)), Factor: round2(d.Factor)})
	}
	return c.JSON(http.StatusOK, resp)
}

type slowResponse struct {
	ThresholdMs float64      `json:"thresholdMs"`
	Queries     []queryStats `json:"queries"`
}

func (s *Server) handleSlowQueryIndex(c echo.Context) error {
	threshold := awardtracker.SlowQueryThreshold
	if v := c.QueryParam("threshold"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return awardtracker.Errorf(awardtracker.EINVALID, "threshold must be a duration such as 100ms")
		}
		threshold = d
	}
	resp := slowResponse{ThresholdMs: round2(ms(threshold)), Queries: []queryStats{}}
	for _, q := range s.cfg.Queries.Slow(threshold) {
		resp.Queries = append(resp.Queries, toQueryStats(q))
	}
	return c.JSON(http.StatusOK, resp)
}

type cacheView struct {
	Name          string  `json:"name"`
	Size          int     `json:"size"`
	Valid         int     `json:"valid"`
	Expired       int     `json:"expired"`
	Hits          uint64  `json:"hits"`
	Misses        uint64  `json:"misses"`
	HitRate       float64 `json:"hitRate"`
	Invalidations uint64  `json:"invalidations"`
	Evictions     uint64  `json:"evictions"`
	TTLMs         int64   `json:"ttlMs"`
}

func (s *Server) handleCacheView(c echo.Context) error {
	var out []cacheView
	for _, st := range s.cfg.Caches.CacheCounters() {
		v := cacheView{Name: st.Name, Size: st.Size, Valid: st.Valid, Expired: st.Expired, Hits: st.Hits,
			Misses: st.Misses, Invalidations: st.Invalidations, Evictions: st.Evictions, TTLMs: st.TTL.Milliseconds()}
		if st.Hits+st.Misses > 0 {
			v.HitRate = round2(float64(st.Hits) / float64(st.Hits+st.Misses))
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string][]cacheView{"caches": out})
}

type invalidateResponse struct {
	Invalidated string `json:"invalidated"` // "all" or the callsign
}

func (s *Server) handleCacheInvalidate(c echo.Context) error {
	cs := c.QueryParam("callsign")
	if cs == "" {
		s.cfg.Caches.InvalidateAllCaches(c.Request().Context())
		s.log.Info("Caches invalidated by operator", "scope", "all")
		return c.JSON(http.StatusOK, invalidateResponse{Invalidated: "all"})
	}
	call, err := awardtracker.NormalizeCallsign(cs)
	if err != nil {
		return err
	}
	u, _, err := s.cfg.Users.FindUserByCallsign(c.Request().Context(), call)
	if err != nil {
		return err
	}
	s.cfg.Caches.InvalidateUserCaches(c.Request().Context(), u.ID)
	s.log.Info("Caches invalidated by operator", "scope", "user", "user_id", u.ID)
	return c.JSON(http.StatusOK, invalidateResponse{Invalidated: u.Callsign})
}
