// Package ratelimit provides per-client rate limiting for the Echo API: a
// token bucket (golang.org/x/time/rate) per client address and per policy,
// answering 429 Too Many Requests with a Retry-After header when a client's
// bucket is empty, and counting every rejection in a metric.
//
// A policy is attached where it applies: one for the API as a whole, a
// stricter one on login and register (password guessing), one on
// /api/health. A request that passes through two limiters (the API one and
// the auth one) spends a token from each.
//
// # Flags
//
// Policies are configured with flag values parsed by [ParsePolicy]:
//
//	N/s, N/m, N/h   N requests per second, minute or hour, with a burst of N
//	N/m:B           the same with a burst of B (a whole number, at least 1)
//	0 or off        no limit
//
// N may be fractional ("0.5/s"). The proposed defaults are
// --web.rate-limit.api=20/s:40, --web.rate-limit.auth=5/m and
// --web.rate-limit.health=5/s:10.
//
// # Client address
//
// The key is the address of the TCP peer (http.Request.RemoteAddr), not
// echo.Context.RealIP: without an IPExtractor, RealIP believes any
// X-Forwarded-For or X-Real-IP header, so a client could choose its own key
// and never be limited. Behind a reverse proxy every client would share the
// proxy's bucket; pass [WithIPExtractor] with [TrustedProxies], which
// believes X-Forwarded-For and X-Real-IP only from the proxies' addresses
// (--web.trusted-proxies).
//
// IPv4 clients are keyed by address, IPv6 clients by their /64 prefix: a
// single host (or home network) is routinely given a whole /64 and may pick
// any of its 2^64 addresses (privacy extensions rotate them on their own),
// so keying by full address would let one host mint unlimited fresh buckets.
// A request whose address cannot be parsed shares one bucket with every
// other such request, so that a malformed header cannot buy an unlimited
// one.
//
// # Memory
//
// At most a configured number of clients (default 100,000) are tracked per
// limiter, spread over shards each with its own mutex and least-recently-used
// list. A client whose bucket has refilled to the burst is indistinguishable
// from a new one, so forgetting it loses nothing: clients idle for the idle
// TTL (default 10 minutes) with a full bucket are dropped as new clients
// arrive, and when a shard is full its least recently seen client makes room,
// its entry reused if its bucket is full. Only when that client is still
// paying off its burst is it evicted with state (and counted): under a flood
// of addresses some clients get a fresh burst early, rather than memory
// growing without bound. The TTL only saves re-creating entries for clients
// that come back; it never shortens a limit, since a bucket that is not full
// is kept regardless.
//
// # Why not Echo's middleware.RateLimiter
//
// Its RateLimiterStore interface returns only allow/deny, so the deny handler
// cannot say how long to wait without a second lookup behind the store's
// back; its memory store has no bound on the number of clients (it sweeps
// stale ones only every few minutes, under one global mutex), and its default
// identifier is the spoofable RealIP. Writing the store and the identifier
// would leave nothing of it but the 20 lines that call them.
//
// What this package does not do: share limits between processes, limit by
// user or token (login throttling per account belongs to the auth service),
// or cap concurrency (that is a server setting).
package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// DefaultMaxClients is the number of clients a Limiter tracks unless
// WithMaxClients says otherwise. An entry costs about 200 bytes, so the
// default bounds a limiter at roughly 20 MB under a flood of addresses.
const DefaultMaxClients = 100_000

// DefaultIdleTTL is how long a client whose bucket is full again is
// remembered unless WithIdleTTL says otherwise.
const DefaultIdleTTL = 10 * time.Minute

// Policy is one rate limit.
type Policy struct {
	// Name is the value of the policy label on the metrics ("api", "auth",
	// "health"); it must come from a fixed set, never from a request.
	Name string
	// Rate is the sustained number of requests per second per client.
	// Zero, a negative number or +Inf disables the limit.
	Rate float64
	// Burst is the number of requests a client may make at once; values
	// below 1 are taken as 1.
	Burst int
}

// Option configures a Limiter.
type Option func(*config)

type config struct {
	now        func() time.Time
	maxClients int
	idleTTL    time.Duration
	extract    echo.IPExtractor
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithMaxClients bounds the number of clients tracked at once (default
// DefaultMaxClients). The bound is never exceeded; it is rounded down to a
// multiple of the number of shards.
func WithMaxClients(n int) Option {
	return func(c *config) { c.maxClients = n }
}

// WithIdleTTL sets how long a client with a full bucket is remembered
// (default DefaultIdleTTL).
func WithIdleTTL(d time.Duration) Option {
	return func(c *config) { c.idleTTL = d }
}

// WithIPExtractor keys clients by what extract returns instead of the TCP
// peer's address. Use it only behind a reverse proxy, with an extractor that
// believes forwarding headers only from that proxy (echo.ExtractIPFromXFFHeader
// or echo.ExtractIPFromRealIPHeader with trust options), and preferably the
// same one set as the Echo instance's IPExtractor.
func WithIPExtractor(extract echo.IPExtractor) Option {
	return func(c *config) { c.extract = extract }
}

// Limiter limits the requests of each client under one Policy. It is safe for
// concurrent use.
type Limiter struct {
	limit   rate.Limit
	burst   int
	now     func() time.Time
	extract echo.IPExtractor

	table    *table             // nil when the policy is disabled
	rejected prometheus.Counter // nil without metrics
}

// New returns a limiter for p. Its metric series are created, at zero, on m;
// m may be nil, for no metrics.
func New(p Policy, m *Metrics, opts ...Option) *Limiter {
	cfg := config{now: time.Now, maxClients: DefaultMaxClients, idleTTL: DefaultIdleTTL}
	for _, o := range opts {
		o(&cfg)
	}
	l := &Limiter{
		limit:   rate.Limit(p.Rate),
		burst:   max(p.Burst, 1),
		now:     cfg.now,
		extract: cfg.extract,
	}
	var tm tableMetrics
	if m != nil {
		l.rejected = m.rejected.WithLabelValues(p.Name)
		tm = tableMetrics{
			clients:   m.clients.WithLabelValues(p.Name),
			evictions: m.evictions.WithLabelValues(p.Name),
		}
	}
	if p.Rate > 0 && !math.IsInf(p.Rate, 1) {
		l.table = newTable(max(cfg.maxClients, 1), cfg.idleTTL, tm)
	}
	return l
}

// Middleware returns the Echo middleware enforcing the policy. A rejected
// request gets a Retry-After header (whole seconds, at least 1) and an
// *echo.HTTPError with status 429 for the error handler to write.
func (l *Limiter) Middleware() echo.MiddlewareFunc {
	if l.table == nil {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			wait, ok := l.allow(l.keyOf(c.Request()))
			if ok {
				return next(c)
			}
			if l.rejected != nil {
				l.rejected.Inc()
			}
			secs := awardtracker.RetryAfterSeconds(wait)
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.FormatInt(secs, 10))
			return echo.NewHTTPError(http.StatusTooManyRequests,
				fmt.Sprintf("rate limit exceeded, retry in %ds", secs))
		}
	}
}

// allow takes a token from k's bucket, or says how long until one is there.
func (l *Limiter) allow(k key) (time.Duration, bool) {
	now := l.now()
	s := l.table.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	lim := s.get(k, now, l.newBucket)
	if lim.AllowN(now, 1) {
		return 0, true
	}
	missing := 1 - lim.TokensAt(now)
	// Capped so that an absurdly small rate cannot overflow the conversion.
	wait := min(missing/float64(l.limit)*float64(time.Second), float64(maxWait))
	return time.Duration(wait), false
}

// maxWait bounds the Retry-After a client is told.
const maxWait = 24 * time.Hour

func (l *Limiter) newBucket() *rate.Limiter { return rate.NewLimiter(l.limit, l.burst) }
