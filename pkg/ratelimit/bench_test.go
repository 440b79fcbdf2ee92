package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/ratelimit"
)

// benchHandler is the middleware around a handler that does nothing, with
// a rate high enough that every request is allowed: the cost every API
// request pays.
func benchHandler(opts ...ratelimit.Option) echo.HandlerFunc {
	m := ratelimit.NewMetrics(prometheus.NewRegistry())
	l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1e12, Burst: 1 << 30}, m, opts...)
	return l.Middleware()(func(echo.Context) error { return nil })
}

// BenchmarkMiddleware_Allow is one known client, over and over.
func BenchmarkMiddleware_Allow(b *testing.B) {
	h := benchHandler()
	req := httptest.NewRequest(http.MethodGet, "/api/qsos", nil)
	req.RemoteAddr = "192.0.2.1:40000"
	c := echo.New().NewContext(req, httptest.NewRecorder())
	b.ReportAllocs()
	for b.Loop() {
		if err := h(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware_AllowParallel is 1,000 known clients, IPv4 and IPv6,
// from all CPUs at once: the shard mutexes under contention.
func BenchmarkMiddleware_AllowParallel(b *testing.B) {
	h := benchHandler()
	e := echo.New()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctxs := make([]echo.Context, 0, 1000)
		for i := range cap(ctxs) {
			req := httptest.NewRequest(http.MethodGet, "/api/qsos", nil)
			n := next.Add(1)
			req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:40000", n>>8&0xff, n&0xff)
			if i%2 == 1 {
				req.RemoteAddr = fmt.Sprintf("[2001:db8:%x::%x]:40000", n, n)
			}
			ctxs = append(ctxs, e.NewContext(req, httptest.NewRecorder()))
		}
		i := 0
		for pb.Next() {
			if err := h(ctxs[i%len(ctxs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkMiddleware_NewClient is a flood of addresses never seen before,
// past the client bound: every request creates a bucket and evicts one.
func BenchmarkMiddleware_NewClient(b *testing.B) {
	h := benchHandler(ratelimit.WithMaxClients(10_000))
	addrs := make([]string, 1<<16)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("[2001:db8:%x:%x::1]:1", i>>8, i&0xff)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/qsos", nil)
	c := echo.New().NewContext(req, httptest.NewRecorder())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req.RemoteAddr = addrs[i%len(addrs)]
		if err := h(c); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
