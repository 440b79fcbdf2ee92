package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// httpMetrics counts and times every request by route, in the style of
// Prometheus's own web/web.go: requests_total{route,method,code} and
// request_duration_seconds{route,method}.
//
// It is hand-written, the one justified exception to "prefer a library":
// echo-contrib's echoprometheus cannot be configured this way. It always
// adds a host label (whatever Host header a client sends), names the route
// label url, puts the status code on the histogram too, and registers
// request and response size histograms that nothing reads. client_golang's
// promhttp instrumentation does not fit either: it reads the status from
// the ResponseWriter, but in Echo a handler's error becomes a response only
// after every middleware has returned (and a panic only after Recover), so
// the code has to come from the error, as statusOf gives it.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newHTTPMetrics registers the HTTP metrics on reg (nil: a private
// registry, never the global one). Every label is bounded: route is the
// route template or unmatchedRoute, method is one of knownMethods or
// OTHER, code is a status the server itself chose.
func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "awardtracker_http_requests_total",
			Help: "HTTP requests by route template, method and status code (/metrics is not counted).",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "awardtracker_http_request_duration_seconds",
			Help: "HTTP request latencies by route template and method.",
			// 0.25 is the latency SLO's threshold; the classic buckets
			// are what the rules read, the native ones finer detail for
			// ad-hoc queries.
			Buckets:                         []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  100,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// middleware observes every request but /metrics itself. It sits outside
// Recover, so that a panic is counted as the 500 it becomes.
func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == "/metrics" {
			return next(c)
		}
		start := time.Now()
		err := next(c)
		route, method := routeOf(c), methodOf(c)
		m.requests.WithLabelValues(route, method, strconv.Itoa(statusFor(c, err))).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return err
	}
}

// recoverPanics turns a handler's panic into an error with the panicking
// goroutine's stack, returned up the chain like any other failure: the
// metrics count it as a 500 and logRequests logs it once, with the stack,
// instead of Echo printing the stack on its own logger.
var recoverPanics = middleware.RecoverWithConfig(middleware.RecoverConfig{
	DisableStackAll:     true,
	DisableErrorHandler: true,
	LogErrorFunc: func(_ echo.Context, err error, stack []byte) error {
		return fmt.Errorf("panic: %w\n%s", err, stack)
	},
})

// statusFor is the status a request is answered with: a handler's error
// becomes the response only after the middleware has returned
// (handleError), unless the handler had already sent one.
func statusFor(c echo.Context, err error) int {
	if err != nil && !c.Response().Committed {
		st, _ := statusOf(err)
		return st
	}
	return c.Response().Status
}

// logRequests logs one line per request: route, status, duration, request
// id, and for a server error the error itself (the one line it gets).
// Paths and query strings are not logged as given (they may carry
// anything); the route template says what was asked. Successful requests
// are counted and timed in the metrics, so their line is debug; refusals
// are worth a line at info, a 5xx a handler chose (a health check's 503)
// at warn, a failure at error. The probes and /metrics log only failures.
func (s *Server) logRequests() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			st := statusFor(c, err)
			failed := st >= 500 && err != nil
			level := slog.LevelDebug
			switch {
			case failed:
				level = slog.LevelError
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
				if !failed {
					return err
				}
			}
			attrs := []slog.Attr{
				slog.String("method", methodOf(c)), slog.String("route", routeOf(c)), slog.Int("status", st),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			}
			if failed {
				attrs = append(attrs, slog.Any("err", err))
			}
			s.log.LogAttrs(ctx, level, "Request", attrs...)
			return err
		}
	}
}
