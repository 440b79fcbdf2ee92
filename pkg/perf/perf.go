// Package perf times database queries and keeps the figures two ways: as the
// Prometheus histogram awardtracker_db_query_duration_seconds{query}, for
// dashboards and alerts, and in process, for /api/health: per query the count,
// total, min and max since start, P50/P95/P99 over a window of recent samples,
// the number of slow (> 100 ms) and critical (> 500 ms) queries, and whether
// the recent P95 has doubled against the query's own baseline (Degraded).
//
// It is the successor of the old service's performance.service.js and keeps
// its vocabulary (ratings, thresholds, top five slowest, 2x degradation).
//
// It does not know GORM or Echo: the storage package registers GORM callbacks
// that call Observe, naming statements with WithQuery, and the HTTP package
// renders Summary. It does not log, alert or persist: the in-process figures
// start from zero with the process. Comparisons over days belong in PromQL
// (histogram_quantile over the histogram, with offset), not here.
//
// There are no separate slow/critical counters in /metrics: the classic
// buckets have boundaries exactly at 0.1 and 0.5, so
// awardtracker_db_query_duration_seconds_count minus _bucket{le="0.1"} is
// exactly the number of queries over 100 ms (the same number Summary reports),
// and a counter would double the series for no information. This relies on the
// classic buckets being scraped; a Prometheus that ingests only the native
// histogram has to interpolate at 0.1.
package perf

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Thresholds of the old service: a query above SlowThreshold counts as slow,
// above CriticalThreshold as critical (strictly above, like its "> 100ms").
const (
	SlowThreshold     = awardtracker.SlowQueryThreshold
	CriticalThreshold = awardtracker.CriticalQueryThreshold
)

// Other is the query name that unknown, invalid and surplus names fold into.
const Other = "other"

const (
	defaultWindow     = 1000
	defaultMaxQueries = 64
	// minSamples is the fewest samples a window or a baseline may hold: below
	// 20 a P95 is simply the maximum, so one blip would decide it.
	minSamples = 20
	// maxNameLen keeps label values short enough to read on a dashboard; the
	// pattern alone would admit a name of any length.
	maxNameLen = 64
)

// buckets are the classic histogram boundaries in seconds. SQLite answers
// in well under a millisecond, so they start at 100 µs, and they contain
// SlowThreshold and CriticalThreshold exactly so that threshold queries need
// no interpolation.
var buckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Options configure a Tracker. The zero value gives the defaults.
type Options struct {
	// Window is how many recent samples per query are kept for the
	// percentiles. Default 1000, at least 20.
	Window int
	// MaxQueries caps the distinct query names, and so the histogram's
	// series. Default 64. Names beyond it fold into "other", which does not
	// count towards the cap.
	MaxQueries int
	// Now is the clock Track reads. Default time.Now.
	Now func() time.Time
	// BaselineAfter is how many of a query's first samples make up its
	// baseline for Degraded. Default Window (the first full window); it is
	// kept between 20 and Window.
	BaselineAfter int
}

// Tracker records query durations. It is safe for concurrent use.
//
// Observe takes no lock and does not allocate: the name map is copy-on-write
// behind an atomic pointer (it is replaced at most MaxQueries times), and each
// query keeps its figures in atomics and a ring of atomic slots. Queries
// therefore never contend with each other; concurrent samples of one query
// share only a few cache lines, as they do inside the histogram anyway.
type Tracker struct {
	hist          *prometheus.HistogramVec
	now           func() time.Time
	window        int
	baselineAfter int
	maxQueries    int

	queries atomic.Pointer[map[string]*query] // read on every Observe
	full    atomic.Bool                       // set once MaxQueries names are tracked
	mu      sync.Mutex                        // serialises additions to queries
	other   *query
}

// New returns a Tracker whose histogram is registered on reg. A nil reg
// leaves the histogram unregistered (the in-process figures still work). New
// panics if reg already holds the histogram, as two Trackers exporting one
// series could not both agree with it.
func New(reg prometheus.Registerer, opts Options) *Tracker {
	if opts.Window <= 0 {
		opts.Window = defaultWindow
	}
	opts.Window = max(opts.Window, minSamples)
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = defaultMaxQueries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BaselineAfter <= 0 {
		opts.BaselineAfter = opts.Window
	}
	opts.BaselineAfter = min(max(opts.BaselineAfter, minSamples), opts.Window)

	t := &Tracker{
		hist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "awardtracker",
			Subsystem: "db",
			Name:      "query_duration_seconds",
			Help:      "Duration of database queries by query name; unknown, invalid and surplus names are counted as other.",
			Buckets:   buckets,
			// Native buckets in addition to the classic ones, which
			// dashboards, promtool and the threshold queries still read.
			NativeHistogramBucketFactor: 1.1,
			// 160 keeps full resolution from 100 µs to 10 s (17
			// doublings of 8 buckets each) before buckets get merged.
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
			NativeHistogramMaxExemplars:     -1, // Observe never attaches any
		}, []string{"query"}),
		now:           opts.Now,
		window:        opts.Window,
		baselineAfter: opts.BaselineAfter,
		maxQueries:    opts.MaxQueries,
	}
	if reg != nil {
		reg.MustRegister(t.hist)
	}
	// "other" exists from the start so that its series is exported as zero
	// before the first fold (an absent series breaks rate() and alerts).
	t.other = t.newQuery(Other)
	t.queries.Store(&map[string]*query{Other: t.other})
	return t
}

// Track times fn, records the duration under name and returns fn's error.
// Failed calls are recorded too (they cost the time as well), and so is a
// call that panics, before the panic goes on.
//
// Track does not put name into ctx: a GORM callback that named its statements
// after it would count the same work twice under one label. To name the
// statements of a call, use WithQuery instead.
func (t *Tracker) Track(ctx context.Context, name string, fn func(context.Context) error) error {
	start := t.now()
	defer func() { t.Observe(name, t.now().Sub(start)) }()
	return fn(ctx)
}

// Observe records one query of duration d under name. A name that does not
// match ^[a-z][a-z0-9_]*$ (at most 64 bytes), or that would exceed
// MaxQueries, is recorded as "other". Negative durations (a clock stepping
// back) are recorded as zero.
func (t *Tracker) Observe(name string, d time.Duration) {
	q, ok := (*t.queries.Load())[name]
	if !ok {
		q = t.add(name)
	}
	q.observe(max(d, 0))
}

// add returns the query for a name not yet in the map, adding it if it is
// valid and there is room.
func (t *Tracker) add(name string) *query {
	// Checked before locking: once the map is full, stray names cost a
	// failed lookup and nothing else.
	if t.full.Load() || !validName(name) {
		return t.other
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.queries.Load()
	if q, ok := old[name]; ok {
		return q
	}
	if len(old)-1 >= t.maxQueries { // -1: "other" is not counted
		t.full.Store(true)
		return t.other
	}
	m := make(map[string]*query, len(old)+1)
	maps.Copy(m, old)
	q := t.newQuery(name)
	m[name] = q
	t.queries.Store(&m)
	if len(m)-1 >= t.maxQueries {
		t.full.Store(true)
	}
	return q
}

// validName reports whether name matches ^[a-z][a-z0-9_]*$ and is at most
// maxNameLen long. It is hand-written because it runs on the hot path for
// every name not yet tracked.
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// query holds the figures of one query name.
type query struct {
	name string
	obs  prometheus.Observer

	// Written before n is incremented, so a reader that sees n samples also
	// sees their min, max and threshold counts.
	min, max       atomic.Int64
	total          atomic.Int64
	slow, critical atomic.Int64
	n              atomic.Int64 // samples so far; sample i lives in ring[i%len(ring)]

	// Slots hold nanoseconds; -1 marks a slot not yet written. A reader
	// racing with writers may see a slot's previous sample instead of its
	// newest, which is still a recent sample.
	ring    []atomic.Int64
	base    []atomic.Int64 // the first baselineAfter samples, kept for good
	baseP95 atomic.Int64   // cached once base is full; -1 until then
}

func (t *Tracker) newQuery(name string) *query {
	q := &query{
		name: name,
		obs:  t.hist.WithLabelValues(name),
		ring: make([]atomic.Int64, t.window),
		base: make([]atomic.Int64, t.baselineAfter),
	}
	q.min.Store(int64(^uint64(0) >> 1))
	for i := range q.ring {
		q.ring[i].Store(-1)
	}
	for i := range q.base {
		q.base[i].Store(-1)
	}
	q.baseP95.Store(-1)
	return q
}

func (q *query) observe(d time.Duration) {
	q.obs.Observe(d.Seconds())
	v := int64(d)
	for m := q.min.Load(); v < m && !q.min.CompareAndSwap(m, v); m = q.min.Load() {
	}
	for m := q.max.Load(); v > m && !q.max.CompareAndSwap(m, v); m = q.max.Load() {
	}
	if d > SlowThreshold {
		q.slow.Add(1)
		if d > CriticalThreshold {
			q.critical.Add(1)
		}
	}
	q.total.Add(v)
	i := q.n.Add(1) - 1
	q.ring[uint64(i)%uint64(len(q.ring))].Store(v)
	if i < int64(len(q.base)) {
		q.base[i].Store(v)
	}
}

type queryKey struct{}

// WithQuery returns a context that names the queries made under it; the
// storage package's GORM callback reads it with QueryFrom. The name is
// checked when it is recorded, not here.
func WithQuery(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, queryKey{}, name)
}

// QueryFrom returns the query name set by WithQuery, if any (an empty name
// counts as none).
func QueryFrom(ctx context.Context) (string, bool) {
	name, _ := ctx.Value(queryKey{}).(string)
	return name, name != ""
}
