package awardtracker

import "time"

// Query thresholds of the old service: a query above SlowQueryThreshold
// counts as slow, above CriticalQueryThreshold as critical.
const (
	SlowQueryThreshold     = 100 * time.Millisecond
	CriticalQueryThreshold = 500 * time.Millisecond
)

// QueryStats are the figures of one query name. Count, Total, Avg, Min, Max,
// Slow and Critical cover every sample since tracking began; the
// percentiles cover only the recent window.
type QueryStats struct {
	Query          string
	Count          int64
	Total, Avg     time.Duration
	Min, Max       time.Duration
	P50, P95, P99  time.Duration
	Rating         string // of Avg
	Slow, Critical int64  // samples over SlowQueryThreshold, CriticalQueryThreshold
}

// QuerySummary is the overview of every tracked query.
type QuerySummary struct {
	TotalQueries    int64
	TotalTime       time.Duration
	Avg             time.Duration
	SlowQueries     int64
	CriticalQueries int64
	Rating          string       // of Avg
	TopSlowest      []QueryStats // up to 5, highest Avg first
	Queries         []QueryStats // every query with samples, by name
}

// QueryDegradation reports a query whose recent P95 is at least twice its
// baseline P95.
type QueryDegradation struct {
	Query            string
	Baseline, Recent time.Duration // P95s
	Factor           float64       // Recent / Baseline
}

// QueryStatsService reports the database queries' latency, for the health
// and operator endpoints. Its methods cannot fail.
type QueryStatsService interface {
	Summary() QuerySummary
	// Slow returns the queries whose P95 is above threshold, slowest first.
	Slow(threshold time.Duration) []QueryStats
	Degraded() []QueryDegradation
}
