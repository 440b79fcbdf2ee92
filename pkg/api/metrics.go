package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
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

// logRequests logs one line per request: route, status, duration, request id.
// Paths and query strings are not logged as given (they may carry anything);
// the route template says what was asked.
func (s *Server) logRequests() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogLatency: true, LogRequestID: true, LogMethod: true, LogError: true,
		HandleError: false,
		Skipper: func(c echo.Context) bool {
			p := c.Path()
			return p == "/metrics" || p == "/livez" || p == "/readyz"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			st := v.Status
			if v.Error != nil {
				st, _ = statusOf(v.Error)
			}
			// Successful requests are counted and timed in the metrics; their
			// log line is debug (it was a tenth of a cached request's cost).
			// Refusals are worth a line at info, server errors at warn.
			level := slog.LevelDebug
			switch {
			case st >= 500:
				level = slog.LevelWarn
			case st >= 400:
				level = slog.LevelInfo
			}
			if !s.log.Enabled(c.Request().Context(), level) {
				return nil
			}
			s.log.LogAttrs(c.Request().Context(), level, "Request",
				slog.String("method", methodOf(c)), slog.String("route", routeOf(c)), slog.Int("status", st),
				slog.Duration("duration", v.Latency), slog.String("request_id", v.RequestID))
			return nil
		},
	})
}
