package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// unmatchedRoute is the one label value shared by every path no route
// matched, so that scanners cannot grow the number of series.
const unmatchedRoute = "unmatched"

// knownMethods are kept as label values; anything else becomes "OTHER".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// routeOf is the route template that matched ("/api/awards/:id"), or
// unmatchedRoute. Echo gives groups a catch-all "/prefix/*" route so that
// their middleware runs for unknown paths too; those count as unmatched.
func routeOf(c echo.Context) string {
	p := c.Path()
	if p == "" || strings.HasSuffix(p, "/*") {
		return unmatchedRoute
	}
	return p
}

func methodOf(c echo.Context) string {
	if m := c.Request().Method; knownMethods[m] {
		return m
	}
	return "OTHER"
}

// newHTTPMetrics configures echo-contrib's echoprometheus, the ecosystem's
// default, so that its labels stay bounded: the url label is the route
// template, unknown methods fold into one value, and the host label (which
// would carry whatever Host header a client sends) is always empty.
// /metrics itself is not counted.
func newHTTPMetrics(reg prometheus.Registerer) (echo.MiddlewareFunc, error) {
	return echoprometheus.MiddlewareConfig{
		Namespace:  "awardtracker",
		Subsystem:  "http",
		Registerer: reg,
		Skipper:    func(c echo.Context) bool { return c.Path() == "/metrics" },
		LabelFuncs: map[string]echoprometheus.LabelValueFunc{
			"url":    func(c echo.Context, _ error) string { return routeOf(c) },
			"method": func(c echo.Context, _ error) string { return methodOf(c) },
			"host":   func(echo.Context, error) string { return "" },
		},
		HistogramOptsFunc: func(o prometheus.HistogramOpts) prometheus.HistogramOpts {
			if o.Name == "request_duration_seconds" {
				o.Buckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
				o.NativeHistogramBucketFactor = 1.1
				o.NativeHistogramMaxBucketNumber = 100
				o.NativeHistogramMinResetDuration = time.Hour
			}
			return o
		},
		StatusCodeResolver: func(c echo.Context, err error) int {
			if err != nil {
				st, _ := statusOf(err)
				return st
			}
			return c.Response().Status
		},
	}.ToMiddleware()
}

// logRequests logs one line per request: route, status, duration, request
// id. Paths and query strings are not logged as given (they may carry
// anything); the route template says what was asked. Successful requests
// are counted and timed in the metrics, so their line is debug; refusals
// are worth a line at info, server errors at warn.
func (s *Server) logRequests() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			st := c.Response().Status
			if err != nil {
				st, _ = statusOf(err)
			}
			level := slog.LevelDebug
			switch {
			case st >= 500:
				level = slog.LevelWarn
			case st >= 400:
				level = slog.LevelInfo
			}
			ctx := c.Request().Context()
			if !s.log.Enabled(ctx, level) {
				return err
			}
			switch c.Path() {
			case "/metrics", "/livez", "/readyz":
				return err
			}
			s.log.LogAttrs(ctx, level, "Request",
				slog.String("method", methodOf(c)), slog.String("route", routeOf(c)), slog.Int("status", st),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
			return err
		}
	}
}
