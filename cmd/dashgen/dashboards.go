package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// renderDashboards builds every dashboard and returns its JSON by file
// name.
func renderDashboards(c config) (map[string][]byte, error) {
	files := make(map[string][]byte)
	for _, build := range []func(config) *board{overview, queries, cache, sync} {
		b := build(c)
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.uid, err)
		}
		data, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.uid, err)
		}
		files[b.uid+".json"] = append(data, '\n')
	}
	return files, nil
}

func overview(c config) *board {
	b := newBoard("awardtracker-overview", "awardtracker / Overview",
		"Is awardtracker up, how busy is it, how often does it fail and how fast does it answer, by route.")

	b.row("Health")
	b.stat(panel{
		title: "Target", unit: "none", span: 4,
		desc:     "Whether Prometheus's last scrape of the instance succeeded (the up series). Down for 4 minutes fires AwardtrackerDown.",
		targets:  []target{{expr: `up{` + sel + `}`, legend: "{{instance}}"}},
		mappings: map[string]mapping{"1": {"UP", "green"}, "0": {"DOWN", "red"}},
	})
	b.stat(panel{
		title: "Database", unit: "none", span: 4,
		desc:     "Whether the database answered a ping at the last scrape (awardtracker_db_up). Unreachable for 4 minutes fires AwardtrackerUnhealthy.",
		targets:  []target{{expr: `awardtracker_db_up{` + sel + `}`, legend: "{{instance}}"}},
		mappings: map[string]mapping{"1": {"reachable", "green"}, "0": {"unreachable", "red"}},
	})
	b.stat(panel{
		title: "Uptime", unit: "s", span: 4,
		desc:    "Time since the process started.",
		targets: []target{{expr: `time() - process_start_time_seconds{` + sel + `}`, legend: "{{instance}}"}},
	})
	b.stat(panel{
		title: "Build", unit: "none", span: 4, showName: true,
		desc:    "Version, revision and Go version of the running binary (awardtracker_build_info).",
		targets: []target{{expr: `awardtracker_build_info{` + sel + `}`, legend: "{{version}} ({{revision}}, {{goversion}})"}},
	})
	b.stat(panel{
		title: "Request rate", unit: "reqps", span: 4,
		desc:    "HTTP requests per second over all routes (/metrics is not counted).",
		targets: []target{{expr: `sum(rate(awardtracker_http_requests_total{` + sel + `}[$__rate_interval]))`, legend: "requests"}},
	})
	b.stat(panel{
		title: "API 5xx share", unit: "percentunit", span: 4, threshold: ptr(c.errorShareMax),
		desc: "Share of API requests (every /api/ route but the health check) answered with 5xx over 5 minutes. Above " + pct(c.errorShareMax) +
			fmt.Sprintf(" for 10 minutes, with at least %d requests, fires AwardtrackerHighErrorRate.", c.errorMinRequests),
		targets: []target{{expr: `instance:awardtracker_http_api_request_errors_per_requests:ratio_rate5m{` + sel + `}`, legend: "{{instance}}"}},
	})

	b.row("Fleet")
	b.stat(panel{
		title: "Replicas up", unit: "none", span: 6,
		desc:     "Targets of the job that answered the last scrape, of those selected. Some but not all down for 4 minutes fires AwardtrackerFleetPartlyDown; each down target fires AwardtrackerDown.",
		targets:  []target{{expr: `sum by (job) (up{` + sel + `})`, legend: "up"}, {expr: `count by (job) (up{` + sel + `})`, legend: "targets"}},
		showName: true,
	})
	b.timeseries(panel{
		title: "API 5xx share: each replica and the fleet", unit: "percentunit", span: 9, min: ptr(0.0), threshold: ptr(c.errorShareMax),
		desc: "Each selected replica's share of API requests answered with 5xx over 5 minutes, and the share of the selected replicas together (errors summed over requests summed). A replica over " + num(c.outlierFactor) + " times the fleet median (and over " + pct(c.outlierMinShare) + fmt.Sprintf(", in a fleet of at least %d) for 10 minutes fires AwardtrackerReplicaErrorOutlier.", c.outlierMinReplicas),
		targets: []target{
			{expr: `instance:awardtracker_http_api_request_errors_per_requests:ratio_rate5m{` + sel + `}`, legend: "{{instance}}"},
			{expr: `sum(instance:awardtracker_http_api_request_errors:rate5m{` + sel + `}) / sum(instance:awardtracker_http_api_requests:rate5m{` + sel + `})`, legend: "fleet"},
		},
	})
	b.timeseries(panel{
		title: "P95 latency by route, fleet", unit: "s", span: 9,
		desc:    "P95 of the request duration by route over 5 minutes across the selected replicas: their bucket rates summed, then interpolated (a mean of per-replica P95s is no P95). Set instance to one replica to see it alone.",
		targets: []target{{expr: `histogram_quantile(0.95, sum by (route, le) (instance_route_le:awardtracker_http_request_duration_seconds_bucket:rate5m{` + sel + `}))`, legend: "{{route}}"}},
	})

	b.row("Requests")
	b.timeseries(panel{
		title: "Requests by route", unit: "reqps", span: 8,
		desc:    "Requests per second by route template; paths that match no route share \"unmatched\".",
		targets: []target{{expr: `sum by (route) (rate(awardtracker_http_requests_total{` + sel + `}[$__rate_interval]))`, legend: "{{route}}"}},
	})
	b.timeseries(panel{
		title: "Responses by status code", unit: "reqps", span: 8,
		desc:    "Responses per second by HTTP status code.",
		targets: []target{{expr: `sum by (code) (rate(awardtracker_http_requests_total{` + sel + `}[$__rate_interval]))`, legend: "{{code}}"}},
	})
	b.timeseries(panel{
		title: "5xx share by route", unit: "percentunit", span: 8, min: ptr(0.0), threshold: ptr(c.errorShareMax),
		desc:    "Share of each route's requests answered with 5xx over 5 minutes (recording rule; 0 while a route has served no 5xx).",
		targets: []target{{expr: `instance_route:awardtracker_http_request_errors_per_requests:ratio_rate5m{` + sel + `}`, legend: "{{route}} {{instance}}"}},
	})

	b.row("Latency")
	for _, q := range []struct{ name, value string }{{"P50", "0.5"}, {"P95", "0.95"}, {"P99", "0.99"}} {
		b.timeseries(panel{
			title: q.name + " latency by route", unit: "s", span: 8,
			desc:    q.name + " of the request duration by route over 5 minutes, interpolated from the classic histogram buckets (recording rule).",
			targets: []target{{expr: `instance_route_quantile:awardtracker_http_request_duration_seconds:histogram_quantile_rate5m{` + sel + `, quantile="` + q.value + `"}`, legend: "{{route}}"}},
		})
	}
	b.sloPanels(c.slo)

	b.row("Process")
	b.timeseries(panel{
		title: "CPU", unit: "percentunit", span: 8, min: ptr(0.0),
		desc:    "CPU time used per second (1 = one core).",
		targets: []target{{expr: `rate(process_cpu_seconds_total{` + sel + `}[$__rate_interval])`, legend: "{{instance}}"}},
	})
	b.timeseries(panel{
		title: "Resident memory", unit: "bytes", span: 8, min: ptr(0.0),
		desc:    "Resident set size of the process.",
		targets: []target{{expr: `process_resident_memory_bytes{` + sel + `}`, legend: "{{instance}}"}},
	})
	b.timeseries(panel{
		title: "Goroutines", unit: "short", span: 8, min: ptr(0.0),
		desc:    "Goroutines alive; a steady climb points to a leak.",
		targets: []target{{expr: `go_goroutines{` + sel + `}`, legend: "{{instance}}"}},
	})
	return b
}

func queries(c config) *board {
	slow, critical := ms(c.slowQuery), ms(c.criticalQuery)
	b := newBoard("awardtracker-queries", "awardtracker / Queries",
		"Database query latency by query name from the awardtracker_db_query_duration_seconds histogram: percentiles, slow (over "+slow+") and critical (over "+critical+") executions, and the day-over-day P95 comparison.")
	b.variable(dashboard.NewQueryVariableBuilder("query").
		Label("query").
		Description("Query names as the service tracks them (qso_stats, award_facts, ...).").
		Datasource(datasource).
		Query(dashboard.StringOrMap{String: ptr(`label_values(awardtracker_db_query_duration_seconds_count{` + sel + `}, query)`)}).
		Multi(true).IncludeAll(true).AllValue(".+").
		Current(all()).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged))
	qsel := sel + `, query=~"$query"`

	b.row("Executions")
	b.timeseries(panel{
		title: "Executions by query", unit: "ops", span: 8, min: ptr(0.0),
		desc:    "Query executions per second by query name.",
		targets: []target{{expr: `sum by (query) (rate(awardtracker_db_query_duration_seconds_count{` + qsel + `}[$__rate_interval]))`, legend: "{{query}}"}},
	})
	b.timeseries(panel{
		title: "Slow and critical executions", unit: "ops", span: 8, min: ptr(0.0),
		desc: "Executions per second that took over " + slow + " (slow) and over " + critical + " (critical), over 5 minutes. Both thresholds are bucket boundaries, so the counts are exact (recording rules).",
		targets: []target{
			{expr: `instance_query:awardtracker_db_slow_queries:rate5m{` + qsel + `}`, legend: "{{query}} > " + slow},
			{expr: `instance_query:awardtracker_db_critical_queries:rate5m{` + qsel + `}`, legend: "{{query}} > " + critical},
		},
	})
	b.timeseries(panel{
		title: "Share of slow and critical executions", unit: "percentunit", span: 8, min: ptr(0.0), threshold: ptr(c.queryShareMax),
		desc: "Share of each query's executions over " + slow + " and over " + critical + ", over 5 minutes. Above " + pct(c.queryShareMax) +
			fmt.Sprintf(" (the P95 is past the threshold), with at least %d such executions, fires AwardtrackerSlowQueries after 10 minutes and AwardtrackerCriticalQueries after 3.", c.queryMinSlow),
		targets: []target{
			{expr: `instance_query:awardtracker_db_slow_queries_per_queries:ratio_rate5m{` + qsel + `}`, legend: "{{query}} > " + slow},
			{expr: `instance_query:awardtracker_db_critical_queries_per_queries:ratio_rate5m{` + qsel + `}`, legend: "{{query}} > " + critical},
		},
	})

	b.row("Latency")
	for _, q := range []struct{ name, value string }{{"P50", "0.5"}, {"P95", "0.95"}, {"P99", "0.99"}} {
		b.timeseries(panel{
			title: q.name + " by query", unit: "s", span: 8,
			desc:    q.name + " of the query duration by query name over 5 minutes, interpolated from the classic histogram buckets (recording rule).",
			targets: []target{{expr: `instance_query_quantile:awardtracker_db_query_duration_seconds:histogram_quantile_rate5m{` + qsel + `, quantile="` + q.value + `"}`, legend: "{{query}}"}},
		})
	}

	b.row("Degradation")
	p95h := `instance_query_quantile:awardtracker_db_query_duration_seconds:histogram_quantile_rate1h{` + qsel + `, quantile="0.95"}`
	b.timeseries(panel{
		title: "P95 now against a day earlier", unit: "short", span: 12, min: ptr(0.0), threshold: ptr(2.0),
		desc:    "The one-hour P95 of each query divided by the same hour's P95 a day earlier. At 2 or more for 30 minutes (with at least 30 executions an hour then and now, and a P95 of at least 10 ms) AwardtrackerQueryLatencyDegraded fires. Empty until there is a day of history.",
		targets: []target{{expr: p95h + ` / (` + p95h + ` offset 1d)`, legend: "{{query}}"}},
	})
	b.timeseries(panel{
		title: "One-hour P95, today and a day earlier", unit: "s", span: 12,
		desc: "The one-hour P95 of each query (recording rule) and the same series a day earlier, which the comparison divides by.",
		targets: []target{
			{expr: p95h, legend: "{{query}}"},
			{expr: p95h + ` offset 1d`, legend: "{{query}} a day earlier"},
		},
	})

	b.row("Connection pool")
	db := sel + `, db_name="awardtracker"`
	b.timeseries(panel{
		title: "Connections", unit: "short", span: 12, min: ptr(0.0),
		desc: "Open, in-use and idle connections of the database/sql pool (go_sql_*).",
		targets: []target{
			{expr: `go_sql_open_connections{` + db + `}`, legend: "open {{instance}}"},
			{expr: `go_sql_in_use_connections{` + db + `}`, legend: "in use {{instance}}"},
			{expr: `go_sql_idle_connections{` + db + `}`, legend: "idle {{instance}}"},
		},
	})
	b.timeseries(panel{
		title: "Time waiting for a connection", unit: "s", span: 12, min: ptr(0.0),
		desc:    "Seconds per second that callers spent waiting for a free connection; above 0 the pool is a bottleneck.",
		targets: []target{{expr: `rate(go_sql_wait_duration_seconds_total{` + db + `}[$__rate_interval])`, legend: "{{instance}}"}},
	})
	return b
}

func cache(c config) *board {
	b := newBoard("awardtracker-cache", "awardtracker / Cache",
		"The statistics and award-progress caches: hit rate, hits and misses, items, invalidations by reason and TTL evictions.")

	b.row("Lookups")
	b.timeseries(panel{
		title: "Hit rate by cache", unit: "percentunit", span: 12, min: ptr(0.0), max: ptr(1.0), threshold: ptr(c.cacheHitRateMin), lowIsBad: true,
		desc: "Share of lookups answered from the cache over 5 minutes (recording rule). Under " + pct(c.cacheHitRateMin) +
			fmt.Sprintf(" for 45 minutes, with at least %d lookups in 5 minutes, fires AwardtrackerCacheHitRateLow.", c.cacheMinLookups),
		targets: []target{{expr: `instance_cache:awardtracker_cache_hits_per_lookups:ratio_rate5m{` + sel + `}`, legend: "{{cache}} {{instance}}"}},
	})
	b.timeseries(panel{
		title: "Hits and misses", unit: "ops", span: 12, min: ptr(0.0),
		desc: "Lookups per second answered from the cache (hits) and loaded from the database (misses).",
		targets: []target{
			{expr: `sum by (cache) (rate(awardtracker_cache_hits_total{` + sel + `}[$__rate_interval]))`, legend: "{{cache}} hits"},
			{expr: `sum by (cache) (rate(awardtracker_cache_misses_total{` + sel + `}[$__rate_interval]))`, legend: "{{cache}} misses"},
		},
	})

	b.row("Contents")
	b.timeseries(panel{
		title: "Items", unit: "short", span: 8, min: ptr(0.0),
		desc:    "Items held per cache, including expired ones not swept yet.",
		targets: []target{{expr: `sum by (cache) (awardtracker_cache_items{` + sel + `})`, legend: "{{cache}}"}},
	})
	b.timeseries(panel{
		title: "Invalidations by reason", unit: "ops", span: 8, min: ptr(0.0),
		desc:    "Invalidations per second by cache and reason (import, sync, delete, manual, other). A burst of misses after an invalidation is expected.",
		targets: []target{{expr: `sum by (cache, reason) (rate(awardtracker_cache_invalidations_total{` + sel + `}[$__rate_interval]))`, legend: "{{cache}} {{reason}}"}},
	})
	b.timeseries(panel{
		title: "Evictions", unit: "ops", span: 8, min: ptr(0.0),
		desc:    "Items removed per second because their TTL (--cache.ttl) ran out.",
		targets: []target{{expr: `sum by (cache) (rate(awardtracker_cache_evictions_total{` + sel + `}[$__rate_interval]))`, legend: "{{cache}}"}},
	})

	b.row("Fleet invalidations")
	b.stat(panel{
		title: "Invalidation listener", unit: "none", span: 6,
		desc:     "Whether each replica listens for the other replicas' cache invalidations (PostgreSQL only; empty on SQLite). Not listening for " + humanCount(c.listenerDownFor) + " fires AwardtrackerCacheListenerDown.",
		targets:  []target{{expr: `awardtracker_cache_listener_up{` + sel + `}`, legend: "{{instance}}"}},
		mappings: map[string]mapping{"1": {"listening", "green"}, "0": {"down", "red"}},
	})
	b.timeseries(panel{
		title: "Invalidation lag P99", unit: "s", span: 9, min: ptr(0.0),
		desc:    "P99 of the time from a write's commit on one replica to the cache drop on another, over 5 minutes, across the selected replicas (bucket rates summed, then interpolated).",
		targets: []target{{expr: `histogram_quantile(0.99, sum by (le) (rate(awardtracker_cache_invalidation_lag_seconds_bucket{` + sel + `}[$__rate_interval])))`, legend: "P99"}},
	})
	b.timeseries(panel{
		title: "Notifications and reconnects", unit: "ops", span: 9, min: ptr(0.0),
		desc: "Invalidations sent to and received from the other replicas per second, and listener reconnects (each drops all of that replica's caches).",
		targets: []target{
			{expr: `sum by (instance) (rate(awardtracker_cache_notifications_sent_total{` + sel + `}[$__rate_interval]))`, legend: "sent {{instance}}"},
			{expr: `sum by (instance) (rate(awardtracker_cache_notifications_received_total{` + sel + `}[$__rate_interval]))`, legend: "received {{instance}}"},
			{expr: `sum by (instance) (rate(awardtracker_cache_listener_reconnects_total{` + sel + `}[$__rate_interval]))`, legend: "reconnects {{instance}}"},
		},
	})
	return b
}

func sync(c config) *board {
	b := newBoard("awardtracker-sync", "awardtracker / Sync",
		"Confirmation syncs from ARRL LoTW and DARC DCL: runs by result, duration, records and the age of the last success.")

	b.row("State")
	b.stat(panel{
		title: "Last successful sync", unit: "dateTimeFromNow", span: 10,
		desc:     fmt.Sprintf("When a sync of each source last succeeded, as stored in the database (the same on every replica); \"never\" if none is stored. No success for %d intervals of --sync.interval while syncs run fires AwardtrackerSyncStale.", c.syncStaleIntervals),
		targets:  []target{{expr: `max by (source) (awardtracker_sync_last_success_timestamp_seconds{` + sel + `}) * 1000`, legend: "{{source}}"}},
		mappings: map[string]mapping{"0": {"never", "red"}},
	})
	b.stat(panel{
		title: "Sync running", unit: "none", span: 8,
		desc:     "Whether a sync of each source is running now.",
		targets:  []target{{expr: `max by (source) (awardtracker_sync_in_progress{` + sel + `})`, legend: "{{source}}"}},
		mappings: map[string]mapping{"1": {"running", "blue"}, "0": {"idle", "green"}},
	})
	b.stat(panel{
		title: "Sync interval", unit: "s", span: 6,
		desc:     fmt.Sprintf("How often every user with stored credentials is synced (--sync.interval); \"off\" when scheduled syncs are disabled. AwardtrackerSyncStale fires after %d of these without a success.", c.syncStaleIntervals),
		targets:  []target{{expr: `awardtracker_sync_interval_seconds{` + sel + `}`, legend: "{{instance}}"}},
		mappings: map[string]mapping{"0": {"off", "text"}},
	})

	b.row("Queue")
	b.timeseries(panel{
		title: "Jobs waiting and discarded", unit: "short", span: 12, min: ptr(0.0),
		desc: "Sync jobs ready to run and waiting for a worker, and discarded jobs River still retains (PostgreSQL only). River's queue is global: every replica reports the same figure, so max, not sum. A growing discarded count within " + humanCount(c.discardWindow) + " fires AwardtrackerSyncJobsDiscarded.",
		targets: []target{
			{expr: `max(awardtracker_sync_queue_jobs_waiting{` + sel + `})`, legend: "waiting"},
			{expr: `max(awardtracker_sync_queue_jobs_discarded{` + sel + `})`, legend: "discarded"},
		},
	})
	b.timeseries(panel{
		title: "Oldest waiting job", unit: "s", span: 12, min: ptr(0.0), threshold: ptr(duration(c.syncQueueMaxWait).Seconds()),
		desc:    "Age of the oldest sync job ready to run (0: none waiting); global, so max across replicas. Over " + humanCount(c.syncQueueMaxWait) + " for 5 minutes fires AwardtrackerSyncQueueStuck.",
		targets: []target{{expr: `max(awardtracker_sync_queue_oldest_waiting_age_seconds{` + sel + `})`, legend: "oldest"}},
	})

	b.row("Runs")
	b.timeseries(panel{
		title: "Runs by result", unit: "short", span: 12, min: ptr(0.0), bars: true,
		desc:    "Sync runs in each interval by source and result (success, auth_error, rate_limited, truncated, error). Two failed runs of a source within 2 hours (auth_error, a user's wrong password, aside) and no success, counted over all replicas, fire AwardtrackerSyncFailing.",
		targets: []target{{expr: `sum by (source, result) (increase(awardtracker_sync_runs_total{` + sel + `}[$__rate_interval]))`, legend: "{{source}} {{result}}"}},
	})
	b.timeseries(panel{
		title: "Records synced", unit: "short", span: 12, min: ptr(0.0), bars: true,
		desc:    "Confirmation records downloaded in each interval by source.",
		targets: []target{{expr: `sum by (source) (increase(awardtracker_sync_records_total{` + sel + `}[$__rate_interval]))`, legend: "{{source}}"}},
	})
	b.timeseries(panel{
		title: "Run duration", unit: "s", span: 24, min: ptr(0.0), points: true,
		desc: "Mean and P95 duration of the sync runs that ended in each interval, by source; gaps where no run ended.",
		targets: []target{
			{expr: `sum by (source) (rate(awardtracker_sync_duration_seconds_sum{` + sel + `}[$__rate_interval])) / sum by (source) (rate(awardtracker_sync_duration_seconds_count{` + sel + `}[$__rate_interval]))`, legend: "{{source}} mean"},
			{expr: `histogram_quantile(0.95, sum by (source, le) (rate(awardtracker_sync_duration_seconds_bucket{` + sel + `}[$__rate_interval])))`, legend: "{{source}} P95"},
		},
	})
	return b
}

// sloPanels are the latency SLO's burn rate in every alert window and the
// budget left over the period.
func (b *board) sloPanels(s slo) {
	ssel := sel + `, slo="` + s.name + `"`
	budget := num(s.budget)
	var pairs []string
	targets := []target{{expr: `slo:sli_error:ratio_rate` + s.windows[0].short + `{` + ssel + `} / ` + budget, legend: s.windows[0].short + " {{instance}}"}}
	for _, w := range s.windows {
		action := "pages at"
		if w.severity != "critical" {
			action = "makes a ticket at"
		}
		pairs = append(pairs, fmt.Sprintf("%s %s (%s and %s)", action, num(w.factor), w.long, w.short))
		targets = append(targets, target{expr: `slo:sli_error:ratio_rate` + w.long + `{` + ssel + `} / ` + budget, legend: w.long + " {{instance}}"})
	}
	b.timeseries(panel{
		title: "Latency SLO burn rate", unit: "short", span: 16, min: ptr(0.0), threshold: ptr(1.0),
		desc: "How fast the API spends its latency error budget: the share of API requests (" + list(s.skipRoutes) + " left out) slower than " + ms(s.threshold) +
			", divided by the " + pct(s.budget) + " that the SLO (" + pct(1-s.budget) + " within " + ms(s.threshold) + " over " + human(s.period) + ") allows. 1 spends the budget in exactly " +
			human(s.period) + "; AwardtrackerLatencyBudgetBurn " + strings.Join(pairs, ", ") + ".",
		targets: targets,
	})
	b.stat(panel{
		title: "Latency error budget left (" + human(s.period) + ")", unit: "percentunit", span: 8, threshold: ptr(0.0), lowIsBad: true,
		desc: fmt.Sprintf("Share of the %d-day", days(s.period)) + " latency error budget not yet spent: 1 minus the share of slow API requests over " + human(s.period) +
			" divided by " + pct(s.budget) + ". Negative once the SLO is missed.",
		targets: []target{{expr: `1 - slo:sli_error:ratio_rate` + s.period + `{` + ssel + `} / ` + budget, legend: "{{instance}}"}},
	})
}
