package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// config is the one place that says what awardtracker's monitoring
// watches for, as kubernetes-mixin's config.libsonnet does: the recording
// rules, the alerts and the dashboards are all generated from it, so a
// threshold changed here changes the rule, the alert text, the dashboard
// line and its description together.
type config struct {
	// job is the scrape job of prometheus.yml that every rule selects on.
	job string

	// Database query latency, in seconds. Both are bucket boundaries of
	// awardtracker_db_query_duration_seconds, so that counting the
	// executions above them is exact.
	slowQuery, criticalQuery float64
	// queryShareMax is the share of a query's executions above slowQuery
	// (or criticalQuery) that fires: 5 % means the P95 is past it.
	queryShareMax float64
	// queryMinSlow is how many such executions a 5m window needs, so that
	// one slow run of a rare query is no alert.
	queryMinSlow int

	// cacheHitRateMin is the hit ratio below which a cache is worth a
	// ticket, over at least cacheMinLookups lookups in 5 minutes.
	cacheHitRateMin float64
	cacheMinLookups int

	// errorShareMax is the share of API requests answered 5xx that pages,
	// over at least errorMinRequests requests in 5 minutes.
	errorShareMax    float64
	errorMinRequests int

	slo slo

	// syncInterval is the default of --sync.interval. The service exports
	// the interval it runs with (awardtracker_sync_interval_seconds), which
	// the stale alert reads; only AwardtrackerSyncFailing's range, which
	// PromQL cannot take from a series, is derived from the default.
	syncInterval time.Duration
	// syncStaleIntervals is how many intervals without a successful sync
	// make a source stale.
	syncStaleIntervals int

	// backupStaleIntervals is how many --backup.interval periods (the
	// service exports it as awardtracker_backup_interval_seconds) may pass
	// without a successful scheduled backup.
	backupStaleIntervals int

	// A fleet is several replicas under one job. outlierFactor is how many
	// times the fleet's median API error share one replica must reach to
	// be "far from the others"; outlierMinShare keeps a replica at 0.2 %
	// next to a median of 0 quiet; outlierMinReplicas is the fleet size
	// from which a median means something (of two, it is their mean).
	outlierFactor      float64
	outlierMinShare    float64
	outlierMinReplicas int
	// latencyOutlierFactor is the same for a replica's API P95 against
	// the fleet's median P95.
	latencyOutlierFactor float64

	// syncQueueMaxWait is how long a sync job may wait, ready, for a
	// worker. River's queue is global (every replica reports the same
	// figures), so the alert takes the max across replicas. It is a fixed
	// bound because the service exports no sync timeout: several sync
	// timeouts (the default is minutes) of every worker busy.
	syncQueueMaxWait string
	// discardWindow is the range over which a growing count of discarded
	// sync jobs fires.
	discardWindow string
	// listenerDownFor is how long a replica may run without its cache
	// invalidation listener: meanwhile it may serve stale statistics.
	listenerDownFor string
}

// slo is the latency SLO of the API: all but a budget share of API
// requests finish within threshold, measured over period, alerted on with
// the multi-window multi-burn-rate windows of the Google SRE workbook
// (ch. 5).
type slo struct {
	name      string  // the slo label of the slo:sli_error records
	threshold float64 // seconds; a bucket boundary of the HTTP histogram
	budget    float64 // the share of requests allowed over threshold
	period    string  // PromQL duration
	windows   []burnWindow
	// skipRoutes are /api/ routes left out: the health check answers 503
	// by design while the database is away, and the ADIF import's and
	// export's durations grow with the size of the log.
	skipRoutes []string
}

// burnWindow is one multi-window alert: it fires when both the long and
// the short window burn the budget factor times faster than the period
// allows.
type burnWindow struct {
	long, short string // PromQL durations
	factor      float64
	severity    string
	forDur      string
}

// mixin is awardtracker's monitoring configuration.
var mixin = config{
	job:              "awardtracker",
	slowQuery:        0.1,
	criticalQuery:    0.5,
	queryShareMax:    0.05,
	queryMinSlow:     3,
	cacheHitRateMin:  0.7,
	cacheMinLookups:  10,
	errorShareMax:    0.05,
	errorMinRequests: 20,
	slo: slo{
		name:      "awardtracker-api-latency",
		threshold: 0.25,
		budget:    0.01,
		period:    "30d",
		// The SRE workbook's windows and factors, kubernetes-mixin's for:.
		windows: []burnWindow{
			{long: "1h", short: "5m", factor: 14.4, severity: "critical", forDur: "2m"},
			{long: "6h", short: "30m", factor: 6, severity: "critical", forDur: "15m"},
			{long: "1d", short: "2h", factor: 3, severity: "warning", forDur: "1h"},
			{long: "3d", short: "6h", factor: 1, severity: "warning", forDur: "3h"},
		},
		skipRoutes: []string{"/api/health", "/api/qsos/import", "/api/qsos/export"},
	},
	syncInterval:         time.Hour,
	syncStaleIntervals:   3,
	backupStaleIntervals: 2,
	outlierFactor:        3,
	outlierMinShare:      0.01,
	outlierMinReplicas:   3,
	latencyOutlierFactor: 2,
	syncQueueMaxWait:     "15m",
	discardWindow:        "1h",
	listenerDownFor:      "5m",
}

// sel is the selector of a raw series: the job plus any further matchers.
func (c config) sel(matchers ...string) string {
	return "{" + strings.Join(append([]string{`job="` + c.job + `"`}, matchers...), ", ") + "}"
}

// sloWindows are the distinct windows of the burn-rate alerts, shortest
// first: each gets a slo:sli_error:ratio_rate<window> record.
func (s slo) sloWindows() []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range s.windows {
		for _, d := range []string{w.short, w.long} {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(duration(a), duration(b)) })
	return out
}

// num formats a threshold as PromQL and the le label write it: 0.1, 14.4, 3.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ms says a duration in seconds as people read it: "100 ms".
func ms(seconds float64) string { return num(math.Round(seconds*1e6)/1e3) + " ms" }

// pct says a ratio as a percentage: "70 %".
func pct(ratio float64) string { return num(math.Round(ratio*1e6)/1e4) + " %" }

// duration parses a PromQL duration (which allows d, unlike Go's).
func duration(s string) time.Duration {
	d, err := model.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("dashgen: bad duration %q in the config: %v", s, err))
	}
	return time.Duration(d)
}

// promDuration writes d as PromQL does ("2h", "1d").
func promDuration(d time.Duration) string { return model.Duration(d).String() }

// human says a duration as the alert descriptions do: "4 minutes",
// "hour", "3 days". A count of one drops the number ("in the last hour").
func human(s string) string {
	d := duration(s)
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n == 1 {
		return unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// humanCount is human with the number kept: "1 hour", "4 minutes".
func humanCount(s string) string {
	h := human(s)
	if !strings.ContainsRune(h, ' ') {
		return "1 " + h
	}
	return h
}

// list joins items as prose: "a, b and c".
func list(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// spelled writes small counts as words ("two intervals"), as the alert
// texts do.
func spelled(n int) string {
	if words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}; n >= 0 && n < len(words) {
		return words[n]
	}
	return strconv.Itoa(n)
}
