package perf

import (
	"cmp"
	"slices"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Ratings, from Rating.
const (
	RatingExcellent = "EXCELLENT"
	RatingGood      = "GOOD"
	RatingSlow      = "SLOW"
	RatingCritical  = "CRITICAL"
)

// Rating grades an average duration with the old service's four grades:
// EXCELLENT below 10 ms, GOOD below 100 ms, SLOW below 500 ms, else CRITICAL.
func Rating(avg time.Duration) string {
	switch {
	case avg < 10*time.Millisecond:
		return RatingExcellent
	case avg < SlowThreshold:
		return RatingGood
	case avg < CriticalThreshold:
		return RatingSlow
	default:
		return RatingCritical
	}
}

// QueryStats, Summary and Degradation are the domain's types: the API
// reads them through awardtracker.QueryStatsService, which Tracker implements.
type (
	QueryStats  = awardtracker.QueryStats
	Summary     = awardtracker.QuerySummary
	Degradation = awardtracker.QueryDegradation
)

var _ awardtracker.QueryStatsService = (*Tracker)(nil)

const topSlowest = 5

// Summary returns the figures of every query that has samples. It copies and
// sorts each query's window, so it costs tens of microseconds per query: fine
// for a health endpoint, not for a hot path.
func (t *Tracker) Summary() Summary {
	s := Summary{TopSlowest: []QueryStats{}, Queries: []QueryStats{}}
	var buf []int64
	for _, q := range t.snapshot() {
		qs, ok := q.stats(&buf)
		if !ok {
			continue
		}
		s.Queries = append(s.Queries, qs)
		s.TotalQueries += qs.Count
		s.TotalTime += qs.Total
		s.SlowQueries += qs.Slow
		s.CriticalQueries += qs.Critical
	}
	if s.TotalQueries > 0 {
		s.Avg = s.TotalTime / time.Duration(s.TotalQueries)
	}
	s.Rating = Rating(s.Avg)
	top := slices.Clone(s.Queries)
	slices.SortStableFunc(top, func(a, b QueryStats) int { return cmp.Compare(b.Avg, a.Avg) })
	s.TopSlowest = append(s.TopSlowest, top[:min(len(top), topSlowest)]...)
	return s
}

// Stats returns the figures of one query name as recorded (Stats("other")
// for the folded ones). It reports false if nothing was recorded under name.
func (t *Tracker) Stats(name string) (QueryStats, bool) {
	q, ok := (*t.queries.Load())[name]
	if !ok {
		return QueryStats{}, false
	}
	var buf []int64
	return q.stats(&buf)
}

// Slow returns the queries whose recent P95 exceeds threshold, highest P95
// first. Pass SlowThreshold for the old service's default. With fewer than
// 20 samples in the window the P95 is the maximum, so a new query with one
// slow sample is listed; once the window is fuller, one blip is not.
func (t *Tracker) Slow(threshold time.Duration) []QueryStats {
	var (
		buf  []int64
		slow []QueryStats
	)
	for _, q := range t.snapshot() {
		if qs, ok := q.stats(&buf); ok && qs.P95 > threshold {
			slow = append(slow, qs)
		}
	}
	slices.SortStableFunc(slow, func(a, b QueryStats) int { return cmp.Compare(b.P95, a.P95) })
	return slow
}

// Degraded returns the queries whose recent P95 is at least twice their
// baseline P95, highest factor first.
//
// The baseline is the P95 of a query's first BaselineAfter samples (by
// default its first full window), frozen for the life of the process. It is
// not a decaying long-run average on purpose: a decaying baseline follows a
// slow creep (a table outgrowing its index) and so never reports it, which is
// the regression this check exists for; a frozen one is also exact and
// testable, and costs nothing per sample. The price is that warm-up samples
// (a cold page cache) count in the baseline, making the check less, never
// more, sensitive; and a restart takes a new baseline.
//
// The recent P95 is the one Stats reports, and a query is judged only once
// its window holds no baseline samples any more (BaselineAfter+Window
// samples, 2000 by default), so neither side rests on a handful of samples.
// A baseline of zero is not judged: any latency would be an infinite factor.
func (t *Tracker) Degraded() []Degradation {
	var (
		buf []int64
		deg []Degradation
	)
	for _, q := range t.snapshot() {
		n := q.n.Load()
		if n < int64(len(q.base)+len(q.ring)) {
			continue
		}
		base, ok := q.baseline()
		if !ok || base <= 0 {
			continue
		}
		buf = q.recent(n, buf[:0])
		slices.Sort(buf)
		recent := percentile(buf, 95)
		if recent >= 2*base {
			deg = append(deg, Degradation{
				Query:    q.name,
				Baseline: base,
				Recent:   recent,
				Factor:   float64(recent) / float64(base),
			})
		}
	}
	slices.SortStableFunc(deg, func(a, b Degradation) int { return cmp.Compare(b.Factor, a.Factor) })
	return deg
}

// snapshot returns the tracked queries sorted by name.
func (t *Tracker) snapshot() []*query {
	m := *t.queries.Load()
	qs := make([]*query, 0, len(m))
	for _, q := range m {
		qs = append(qs, q)
	}
	slices.SortFunc(qs, func(a, b *query) int { return cmp.Compare(a.name, b.name) })
	return qs
}

// stats reads q's figures, using *buf as scratch space for the window. It
// reports false if q has no samples.
func (q *query) stats(buf *[]int64) (QueryStats, bool) {
	n := q.n.Load()
	if n == 0 {
		return QueryStats{}, false
	}
	s := QueryStats{
		Query:    q.name,
		Count:    n,
		Total:    time.Duration(q.total.Load()),
		Min:      time.Duration(q.min.Load()),
		Max:      time.Duration(q.max.Load()),
		Slow:     q.slow.Load(),
		Critical: q.critical.Load(),
	}
	s.Avg = s.Total / time.Duration(n)
	s.Rating = Rating(s.Avg)
	*buf = q.recent(n, (*buf)[:0])
	slices.Sort(*buf)
	s.P50 = percentile(*buf, 50)
	s.P95 = percentile(*buf, 95)
	s.P99 = percentile(*buf, 99)
	return s, true
}

// recent appends to buf the samples of the window as of n samples.
func (q *query) recent(n int64, buf []int64) []int64 {
	w := int64(len(q.ring))
	for i := max(n-w, 0); i < n; i++ {
		if v := q.ring[i%w].Load(); v >= 0 {
			buf = append(buf, v)
		}
	}
	return buf
}

// baseline returns the P95 of q's first len(q.base) samples, or false while
// some of them are still to come (or still being written).
func (q *query) baseline() (time.Duration, bool) {
	if v := q.baseP95.Load(); v >= 0 {
		return time.Duration(v), true
	}
	if q.n.Load() < int64(len(q.base)) {
		return 0, false
	}
	buf := make([]int64, len(q.base))
	for i := range q.base {
		if buf[i] = q.base[i].Load(); buf[i] < 0 {
			return 0, false
		}
	}
	slices.Sort(buf)
	p := percentile(buf, 95)
	q.baseP95.CompareAndSwap(-1, int64(p))
	return p, true
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted samples: the smallest sample with at least p% of the samples at or
// below it. Unlike interpolation it always returns a duration that was
// observed. Integer maths keeps ranks exact (0.95*20 is not 19 in floating
// point).
func percentile(sorted []int64, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (len(sorted)*p + 99) / 100 // ceil(len*p/100)
	return time.Duration(sorted[max(rank, 1)-1])
}
