package ratelimit_test

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/pkg/ratelimit"
)

// clock is a fake time source that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// server is an Echo instance with l on GET /x, answering 204.
func server(l *ratelimit.Limiter) *echo.Echo {
	e := echo.New()
	e.GET("/x", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, l.Middleware())
	return e
}

// do sends GET /x from remote, with extra headers as "Name: value" pairs.
func do(e *echo.Echo, remote string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.RemoteAddr = remote
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// allowed sends n requests from remote and reports how many got through.
func allowed(t *testing.T, e *echo.Echo, remote string, n int, headers ...string) int {
	t.Helper()
	ok := 0
	for range n {
		switch rec := do(e, remote, headers...); rec.Code {
		case http.StatusNoContent:
			ok++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d, want 204 or 429", rec.Code)
		}
	}
	return ok
}

func TestLimiter_Middleware(t *testing.T) {
	t.Run("BurstThenReject", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "auth", Rate: 5.0 / 60, Burst: 5}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		if got := allowed(t, e, "192.0.2.1:4000", 5); got != 5 {
			t.Fatalf("allowed %d of the burst, want 5", got)
		}
		rec := do(e, "192.0.2.1:4000")
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d after the burst, want 429", rec.Code)
		}
		// One token every 12 s, exactly: float rounding must not make it 13.
		if got := rec.Header().Get("Retry-After"); got != "12" {
			t.Errorf("Retry-After %q, want 12", got)
		}
		if got, want := rec.Body.String(), "rate limit exceeded, retry in 12s"; !strings.Contains(got, want) {
			t.Errorf("body %q, want it to contain %q", got, want)
		}
	})

	t.Run("RetryAfterRoundsUp", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "auth", Rate: 5.0 / 60, Burst: 5}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		allowed(t, e, "192.0.2.1:4000", 5)
		for _, tc := range []struct {
			advance time.Duration
			want    string
		}{
			{5 * time.Second, "7"},
			{1500 * time.Millisecond, "6"}, // 5.5 s left
			{5400 * time.Millisecond, "1"}, // 0.1 s left
		} {
			clk.Advance(tc.advance)
			rec := do(e, "192.0.2.1:4000")
			if rec.Code != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", rec.Code)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.want {
				t.Errorf("after %v more: Retry-After %q, want %q", tc.advance, got, tc.want)
			}
		}
		clk.Advance(100 * time.Millisecond)
		if rec := do(e, "192.0.2.1:4000"); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d once Retry-After passed, want 204", rec.Code)
		}
	})

	t.Run("Refill", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 2, Burst: 4}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		if got := allowed(t, e, "192.0.2.1:1", 10); got != 4 {
			t.Fatalf("allowed %d, want the burst of 4", got)
		}
		clk.Advance(time.Second)
		if got := allowed(t, e, "192.0.2.1:1", 10); got != 2 {
			t.Fatalf("allowed %d after 1 s at 2/s, want 2", got)
		}
		clk.Advance(time.Hour)
		if got := allowed(t, e, "192.0.2.1:1", 10); got != 4 {
			t.Fatalf("allowed %d after an hour, want the burst of 4 (no more)", got)
		}
	})

	t.Run("ClientsAreIndependent", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 2}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		if got := allowed(t, e, "192.0.2.1:1", 5); got != 2 {
			t.Fatalf("first client: allowed %d, want 2", got)
		}
		if got := allowed(t, e, "192.0.2.2:1", 5); got != 2 {
			t.Fatalf("second client: allowed %d, want 2", got)
		}
		// Another port is the same client.
		if got := allowed(t, e, "192.0.2.1:2", 1); got != 0 {
			t.Fatalf("first client, another port: allowed %d, want 0", got)
		}
	})

	t.Run("IPv6By64", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 2}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		if got := allowed(t, e, "[2001:db8:1:2::1]:443", 1); got != 1 {
			t.Fatalf("allowed %d, want 1", got)
		}
		// Same /64, another interface identifier: the same client.
		if got := allowed(t, e, "[2001:db8:1:2:ffff:ee:dd:cc]:443", 5); got != 1 {
			t.Fatalf("same /64: allowed %d, want 1 (the rest of the shared burst)", got)
		}
		if got := allowed(t, e, "[2001:db8:1:3::1]:443", 5); got != 2 {
			t.Fatalf("neighbouring /64: allowed %d, want 2", got)
		}
	})

	t.Run("IPv4MappedIsIPv4", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 1}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		if got := allowed(t, e, "[::ffff:192.0.2.1]:1", 1); got != 1 {
			t.Fatalf("allowed %d, want 1", got)
		}
		if got := allowed(t, e, "192.0.2.1:1", 1); got != 0 {
			t.Fatalf("same address unmapped: allowed %d, want 0", got)
		}
		// Not grouped by /64, which would put all of IPv4 in one bucket.
		if got := allowed(t, e, "[::ffff:192.0.2.2]:1", 1); got != 1 {
			t.Fatalf("another IPv4-mapped address: allowed %d, want 1", got)
		}
	})

	t.Run("ForwardedForIgnoredByDefault", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "auth", Rate: 1, Burst: 1}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		for i := range 5 {
			rec := do(e, "203.0.113.7:1", fmt.Sprintf("X-Forwarded-For: 198.51.100.%d", i),
				fmt.Sprintf("X-Real-IP: 198.51.100.%d", i))
			if want := map[bool]int{true: 204, false: 429}[i == 0]; rec.Code != want {
				t.Fatalf("request %d with a fresh X-Forwarded-For: status %d, want %d", i, rec.Code, want)
			}
		}
	})

	t.Run("ForwardedForFromTrustedProxy", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 1}, nil, ratelimit.WithClock(clk.Now),
			ratelimit.WithIPExtractor(echo.ExtractIPFromXFFHeader(
				echo.TrustLoopback(true), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))))
		e := server(l)
		// Through the proxy on loopback, each forwarded client has its own bucket.
		for i := range 3 {
			if got := allowed(t, e, "127.0.0.1:5000", 2, fmt.Sprintf("X-Forwarded-For: 198.51.100.%d", i)); got != 1 {
				t.Fatalf("forwarded client %d: allowed %d, want 1", i, got)
			}
		}
		// Straight from an untrusted peer, the header is not believed.
		if got := allowed(t, e, "203.0.113.7:1", 1, "X-Forwarded-For: 198.51.100.9"); got != 1 {
			t.Fatalf("untrusted peer: allowed %d, want 1", got)
		}
		if got := allowed(t, e, "203.0.113.7:1", 1, "X-Forwarded-For: 198.51.100.10"); got != 0 {
			t.Fatalf("untrusted peer, other header: allowed %d, want 0", got)
		}
	})

	t.Run("UnparsableAddressesShareABucket", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 2}, nil, ratelimit.WithClock(clk.Now))
		e := server(l)
		got := allowed(t, e, "", 1) + allowed(t, e, "@", 1) + allowed(t, e, "not an address", 1)
		if got != 2 {
			t.Fatalf("allowed %d, want 2 (one shared burst)", got)
		}
		if got := allowed(t, e, "[::1]:1", 1); got != 1 {
			t.Fatalf("IPv6 loopback: allowed %d, want 1 (not the unknown bucket)", got)
		}
	})

	t.Run("Disabled", func(t *testing.T) {
		for _, r := range []float64{0, -1, math.Inf(1)} {
			reg := prometheus.NewPedanticRegistry()
			l := ratelimit.New(ratelimit.Policy{Name: "health", Rate: r, Burst: 1}, ratelimit.NewMetrics(reg))
			if got := allowed(t, server(l), "192.0.2.1:1", 1000); got != 1000 {
				t.Errorf("rate %v: allowed %d of 1000, want all", r, got)
			}
			if got := l.Tracked(); got != 0 {
				t.Errorf("rate %v: tracking %d clients, want 0", r, got)
			}
		}
	})

	t.Run("ErrorForTheErrorHandler", func(t *testing.T) {
		clk := newClock()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 0.5, Burst: 1}, nil, ratelimit.WithClock(clk.Now))
		h := l.Middleware()(func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
		e := echo.New()
		var err error
		for range 2 {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			c := e.NewContext(req, httptest.NewRecorder())
			err = h(c)
			if got := c.Response().Header().Get("Retry-After"); err != nil && got != "2" {
				t.Errorf("Retry-After %q, want 2", got)
			}
		}
		var he *echo.HTTPError
		if !errors.As(err, &he) {
			t.Fatalf("error %v (%T), want *echo.HTTPError", err, err)
		}
		if he.Code != http.StatusTooManyRequests || he.Message != "rate limit exceeded, retry in 2s" {
			t.Errorf("got %d %q, want 429 %q", he.Code, he.Message, "rate limit exceeded, retry in 2s")
		}
	})
}

func TestLimiter_Concurrent(t *testing.T) {
	clk := newClock()
	l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 50}, nil, ratelimit.WithClock(clk.Now))
	e := server(l)
	var wg sync.WaitGroup
	results := make([]int, 16)
	for g := range results {
		wg.Go(func() {
			for i := range 100 {
				// Half on a shared address, half on one's own.
				remote := "192.0.2.1:1"
				if i%2 == 1 {
					remote = fmt.Sprintf("198.51.100.%d:1", g)
				}
				if do(e, remote).Code == http.StatusNoContent {
					results[g]++
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range results {
		total += n
	}
	// The clock stands still: each bucket gives exactly its burst. 16
	// goroutines × 50 requests each on their own address fit it exactly.
	if want := 50 + 16*50; total != want {
		t.Fatalf("allowed %d, want %d", total, want)
	}
}

func TestLimiter_MemoryBound(t *testing.T) {
	t.Run("Flood", func(t *testing.T) {
		clk := newClock()
		m := ratelimit.NewMetrics(prometheus.NewPedanticRegistry())
		const maxClients = 1000
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 10}, m,
			ratelimit.WithClock(clk.Now), ratelimit.WithMaxClients(maxClients))
		e := server(l)
		peak := 0
		for i := range 100_000 {
			// Distinct /64s, so none share a bucket.
			remote := fmt.Sprintf("[2001:db8:%x:%x::1]:1", i>>16, i&0xffff)
			if rec := do(e, remote); rec.Code != http.StatusNoContent {
				t.Fatalf("request %d: status %d, want 204 (a new client)", i, rec.Code)
			}
			if i%997 == 0 {
				peak = max(peak, l.Tracked())
			}
		}
		peak = max(peak, l.Tracked())
		if peak > maxClients {
			t.Fatalf("tracked %d clients, want at most %d", peak, maxClients)
		}
		if peak < maxClients/2 {
			t.Errorf("tracked at most %d clients, want close to %d (shards too uneven?)", peak, maxClients)
		}
		if got, want := testutil.ToFloat64(m.Clients("api")), float64(l.Tracked()); got != want {
			t.Errorf("clients gauge %v, want %v (the tracked count)", got, want)
		}
		// Every client beyond the bound pushed out one still paying off its burst.
		if got, want := testutil.ToFloat64(m.Evictions("api")), float64(100_000-l.Tracked()); got != want {
			t.Errorf("evictions %v, want %v", got, want)
		}
	})

	t.Run("RefilledDroppedWithoutEviction", func(t *testing.T) {
		clk := newClock()
		reg := prometheus.NewPedanticRegistry()
		l := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 1}, ratelimit.NewMetrics(reg),
			ratelimit.WithClock(clk.Now), ratelimit.WithMaxClients(8))
		e := server(l)
		for i := range 1000 {
			do(e, fmt.Sprintf("192.0.2.%d:1", i%250))
			clk.Advance(time.Second) // every bucket refills before the next request
		}
		want := `
# HELP awardtracker_http_rate_limit_evictions_total Tracked clients dropped before their bucket refilled because the client bound was reached, by rate limit policy.
# TYPE awardtracker_http_rate_limit_evictions_total counter
awardtracker_http_rate_limit_evictions_total{policy="api"} 0
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "awardtracker_http_rate_limit_evictions_total"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMetrics(t *testing.T) {
	clk := newClock()
	reg := prometheus.NewPedanticRegistry()
	m := ratelimit.NewMetrics(reg)
	api := ratelimit.New(ratelimit.Policy{Name: "api", Rate: 1, Burst: 2}, m, ratelimit.WithClock(clk.Now))
	ratelimit.New(ratelimit.Policy{Name: "health", Rate: 0}, m)

	want := func(rejected, clients int) string {
		return fmt.Sprintf(`
# HELP awardtracker_http_rate_limit_clients Client addresses (IPv6: /64 prefixes) whose token bucket is tracked, by rate limit policy.
# TYPE awardtracker_http_rate_limit_clients gauge
awardtracker_http_rate_limit_clients{policy="api"} %d
awardtracker_http_rate_limit_clients{policy="health"} 0
# HELP awardtracker_http_rate_limited_total Requests rejected with 429 Too Many Requests, by rate limit policy.
# TYPE awardtracker_http_rate_limited_total counter
awardtracker_http_rate_limited_total{policy="api"} %d
awardtracker_http_rate_limited_total{policy="health"} 0
`, clients, rejected)
	}
	names := []string{"awardtracker_http_rate_limited_total", "awardtracker_http_rate_limit_clients"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(0, 0)), names...); err != nil {
		t.Fatalf("before any request: %v", err)
	}
	e := server(api)
	allowed(t, e, "192.0.2.1:1", 5)
	allowed(t, e, "192.0.2.2:1", 3)
	if got := testutil.ToFloat64(m.Rejected("api")); got != 4 {
		t.Errorf("rejected %v, want 4", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(4, 2)), names...); err != nil {
		t.Fatalf("after 3+1 rejections: %v", err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		in    string
		rate  float64
		burst int
	}{
		{"10/s", 10, 10},
		{"20/s:40", 20, 40},
		{"5/m", 5.0 / 60, 5},
		{"5/m:10", 5.0 / 60, 10},
		{"100/h", 100.0 / 3600, 100},
		{"0.5/s", 0.5, 1},
		{"2.5/s", 2.5, 3},
		{" 5/s:1 ", 5, 1},
		{"0", 0, 0},
		{"off", 0, 0},
		{"OFF", 0, 0},
	} {
		rate, burst, err := ratelimit.ParsePolicy(tc.in)
		if err != nil || rate != tc.rate || burst != tc.burst {
			t.Errorf("ParsePolicy(%q) = %v, %d, %v; want %v, %d, nil", tc.in, rate, burst, err, tc.rate, tc.burst)
		}
	}
	for _, in := range []string{
		"", "10", "10/", "/s", "10/d", "10/sec", "x/s", "-1/s", "0/s", "NaN/s", "Inf/s",
		"10/s:", "10/s:0", "10/s:-1", "10/s:1.5", "10/s:x", "10/s:5:5",
	} {
		if rate, burst, err := ratelimit.ParsePolicy(in); err == nil {
			t.Errorf("ParsePolicy(%q) = %v, %d, nil; want an error", in, rate, burst)
		}
	}
}

func TestLimiter_LimitOutlivesIdleTTL(t *testing.T) {
	clk := newClock()
	l := ratelimit.New(ratelimit.Policy{Name: "auth", Rate: 1.0 / 3600, Burst: 1}, nil,
		ratelimit.WithClock(clk.Now), ratelimit.WithIdleTTL(time.Minute))
	e := server(l)
	if got := allowed(t, e, "192.0.2.1:1", 2); got != 1 {
		t.Fatalf("allowed %d, want 1", got)
	}
	clk.Advance(30 * time.Minute)
	for i := range 5000 { // new clients, each a chance to expire idle ones
		do(e, fmt.Sprintf("[2001:db8:%x::1]:1", i))
	}
	rec := do(e, "192.0.2.1:1")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d half an hour into a 1/h limit, want 429", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "1800" {
		t.Errorf("Retry-After %q, want 1800", got)
	}
}

func TestLimiter_TinyRate(t *testing.T) {
	clk := newClock()
	l := ratelimit.New(ratelimit.Policy{Name: "auth", Rate: 1e-30, Burst: 1}, nil, ratelimit.WithClock(clk.Now))
	e := server(l)
	do(e, "192.0.2.1:1")
	rec := do(e, "192.0.2.1:1")
	if got := rec.Header().Get("Retry-After"); rec.Code != http.StatusTooManyRequests || got != "86400" {
		t.Fatalf("got %d with Retry-After %q, want 429 with 86400", rec.Code, got)
	}
}
