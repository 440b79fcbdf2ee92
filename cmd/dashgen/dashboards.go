package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// sel is the matcher every query carries, so that the job and instance
// variables filter every panel.
const sel = `job=~"$job", instance=~"$instance"`

// datasource is the dashboard's datasource variable; the provisioned
// datasource (dashboards/provisioning/datasources) has uid "prometheus".
var datasource = dashboard.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${datasource}")}

// render builds every dashboard and returns its JSON by file name.
func render() (map[string][]byte, error) {
	files := make(map[string][]byte)
	for _, build := range []func() *board{overview, queries, cache, sync} {
		b := build()
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

func overview() *board {
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
		title: "API 5xx share", unit: "percentunit", span: 4, threshold: ptr(0.05),
		desc:    "Share of API requests (every /api/ route but the health check) answered with 5xx over 5 minutes. Above 5 % for 10 minutes, with at least 20 requests, fires AwardtrackerHighErrorRate.",
		targets: []target{{expr: `instance:awardtracker_http_api_request_errors_per_requests:ratio_rate5m{` + sel + `}`, legend: "{{instance}}"}},
	})

	b.row("Requests")
	b.timeseries(panel{
		title: "Requests by route", unit: "reqps", span: 8,
		desc:    "Requests per second by route template; paths that match no route share \"unmatched\".",
		targets: []target{{expr: `sum by (url) (rate(awardtracker_http_requests_total{` + sel + `}[$__rate_interval]))`, legend: "{{url}}"}},
	})
	b.timeseries(panel{
		title: "Responses by status code", unit: "reqps", span: 8,
		desc:    "Responses per second by HTTP status code.",
		targets: []target{{expr: `sum by (code) (rate(awardtracker_http_requests_total{` + sel + `}[$__rate_interval]))`, legend: "{{code}}"}},
	})
	b.timeseries(panel{
		title: "5xx share by route", unit: "percentunit", span: 8, min: ptr(0.0), threshold: ptr(0.05),
		desc:    "Share of each route's requests answered with 5xx over 5 minutes (recording rule; 0 while a route has served no 5xx).",
		targets: []target{{expr: `instance_url:awardtracker_http_request_errors_per_requests:ratio_rate5m{` + sel + `}`, legend: "{{url}} {{instance}}"}},
	})

	b.row("Latency")
	for _, q := range []struct{ name, value string }{{"P50", "0.5"}, {"P95", "0.95"}, {"P99", "0.99"}} {
		b.timeseries(panel{
			title: q.name + " latency by route", unit: "s", span: 8,
			desc:    q.name + " of the request duration by route over 5 minutes, interpolated from the classic histogram buckets (recording rule).",
			targets: []target{{expr: `instance_url_quantile:awardtracker_http_request_duration_seconds:histogram_quantile_rate5m{` + sel + `, quantile="` + q.value + `"}`, legend: "{{url}}"}},
		})
	}
	slo := sel + `, slo="awardtracker-api-latency"`
	b.timeseries(panel{
		title: "Latency SLO burn rate", unit: "short", span: 16, min: ptr(0.0), threshold: ptr(1.0),
		desc: "How fast the API spends its latency error budget: the share of API requests (health check, ADIF import and export left out) slower than 250 ms, divided by the 1 % that the SLO (99 % within 250 ms over 30 days) allows. 1 spends the budget in exactly 30 days; AwardtrackerLatencyBudgetBurn pages at 14.4 (1h and 5m) or 6 (6h and 30m) and makes a ticket at 3 (1d and 2h) or 1 (3d and 6h).",
		targets: []target{
			{expr: `slo:sli_error:ratio_rate5m{` + slo + `} / 0.01`, legend: "5m {{instance}}"},
			{expr: `slo:sli_error:ratio_rate1h{` + slo + `} / 0.01`, legend: "1h {{instance}}"},
			{expr: `slo:sli_error:ratio_rate6h{` + slo + `} / 0.01`, legend: "6h {{instance}}"},
			{expr: `slo:sli_error:ratio_rate3d{` + slo + `} / 0.01`, legend: "3d {{instance}}"},
		},
	})
	b.stat(panel{
		title: "Latency error budget left (30 days)", unit: "percentunit", span: 8, threshold: ptr(0.0), lowIsBad: true,
		desc:    "Share of the 30-day latency error budget not yet spent: 1 minus the average share of slow API requests over 30 days divided by 1 %. Negative once the SLO is missed.",
		targets: []target{{expr: `1 - slo:sli_error:ratio_rate30d{` + slo + `} / 0.01`, legend: "{{instance}}"}},
	})

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

func queries() *board {
	b := newBoard("awardtracker-queries", "awardtracker / Queries",
		"Database query latency by query name from the awardtracker_db_query_duration_seconds histogram: percentiles, slow (over 100 ms) and critical (over 500 ms) executions, and the day-over-day P95 comparison.")
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
		desc: "Executions per second that took over 100 ms (slow) and over 500 ms (critical), over 5 minutes. Both thresholds are bucket boundaries, so the counts are exact (recording rules).",
		targets: []target{
			{expr: `instance_query:awardtracker_db_slow_queries:rate5m{` + qsel + `}`, legend: "{{query}} > 100 ms"},
			{expr: `instance_query:awardtracker_db_critical_queries:rate5m{` + qsel + `}`, legend: "{{query}} > 500 ms"},
		},
	})
	b.timeseries(panel{
		title: "Share of slow and critical executions", unit: "percentunit", span: 8, min: ptr(0.0), threshold: ptr(0.05),
		desc: "Share of each query's executions over 100 ms and over 500 ms, over 5 minutes. Above 5 % (the P95 is past the threshold), with at least 3 such executions, fires AwardtrackerSlowQueries after 10 minutes and AwardtrackerCriticalQueries after 3.",
		targets: []target{
			{expr: `instance_query:awardtracker_db_slow_queries_per_queries:ratio_rate5m{` + qsel + `}`, legend: "{{query}} > 100 ms"},
			{expr: `instance_query:awardtracker_db_critical_queries_per_queries:ratio_rate5m{` + qsel + `}`, legend: "{{query}} > 500 ms"},
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

func cache() *board {
	b := newBoard("awardtracker-cache", "awardtracker / Cache",
		"The statistics and award-progress caches: hit rate, hits and misses, items, invalidations by reason and TTL evictions.")

	b.row("Lookups")
	b.timeseries(panel{
		title: "Hit rate by cache", unit: "percentunit", span: 12, min: ptr(0.0), max: ptr(1.0), threshold: ptr(0.7), lowIsBad: true,
		desc:    "Share of lookups answered from the cache over 5 minutes (recording rule). Under 70 % for 45 minutes, with at least 10 lookups in 5 minutes, fires AwardtrackerCacheHitRateLow.",
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
	return b
}

func sync() *board {
	b := newBoard("awardtracker-sync", "awardtracker / Sync",
		"Confirmation syncs from ARRL LoTW and DARC DCL: runs by result, duration, records and the age of the last success.")

	b.row("State")
	b.stat(panel{
		title: "Last successful sync", unit: "dateTimeFromNow", span: 12,
		desc:     "When a sync of each source last succeeded; \"never\" since the process started. No success for 3 intervals while syncs run fires AwardtrackerSyncStale.",
		targets:  []target{{expr: `max by (source) (awardtracker_sync_last_success_timestamp_seconds{` + sel + `}) * 1000`, legend: "{{source}}"}},
		mappings: map[string]mapping{"0": {"never", "red"}},
	})
	b.stat(panel{
		title: "Sync running", unit: "none", span: 12,
		desc:     "Whether a sync of each source is running now.",
		targets:  []target{{expr: `max by (source) (awardtracker_sync_in_progress{` + sel + `})`, legend: "{{source}}"}},
		mappings: map[string]mapping{"1": {"running", "blue"}, "0": {"idle", "green"}},
	})

	b.row("Runs")
	b.timeseries(panel{
		title: "Runs by result", unit: "short", span: 12, min: ptr(0.0), bars: true,
		desc:    "Sync runs in each interval by source and result (success, auth_error, rate_limited, truncated, error). Two failed runs of a source within 2 hours (auth_error, a user's wrong password, aside) and no success fire AwardtrackerSyncFailing.",
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

// board wraps the SDK's dashboard builder with the house defaults: tags,
// links between the four dashboards, the datasource/job/instance variables
// and sequential panel ids.
type board struct {
	*dashboard.DashboardBuilder
	uid    string
	nextID uint32
}

func newBoard(uid, title, description string) *board {
	b := &board{uid: uid, nextID: 1}
	b.DashboardBuilder = dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"awardtracker"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("30s").
		Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder("awardtracker").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"awardtracker"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data Source").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: ptr("Prometheus")},
				Value: dashboard.StringOrArrayOfString{String: ptr("prometheus")},
			})).
		WithVariable(dashboard.NewQueryVariableBuilder("job").
			Label("job").
			Datasource(datasource).
			Query(dashboard.StringOrMap{String: ptr(`label_values(awardtracker_build_info, job)`)}).
			Multi(true).IncludeAll(true).AllValue(".+").
			Current(all()).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged)).
		WithVariable(dashboard.NewQueryVariableBuilder("instance").
			Label("instance").
			Datasource(datasource).
			Query(dashboard.StringOrMap{String: ptr(`label_values(awardtracker_build_info{job=~"$job"}, instance)`)}).
			Multi(true).IncludeAll(true).AllValue(".+").
			Current(all()).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged))
	return b
}

func (b *board) variable(v cog.Builder[dashboard.VariableModel]) { b.WithVariable(v) }

func (b *board) row(title string) {
	b.WithRow(dashboard.NewRowBuilder(title).Id(b.id()))
}

func (b *board) id() uint32 {
	id := b.nextID
	b.nextID++
	return id
}

// panel is what the dashboards above say about a panel; the methods below
// turn it into the SDK's builders.
type panel struct {
	title, desc, unit string
	targets           []target
	span              uint32 // width in grid columns (of 24)
	min, max          *float64
	threshold         *float64           // red from this value on
	lowIsBad          bool               // red below threshold instead
	mappings          map[string]mapping // by value
	bars, points      bool               // draw style for rare events
	showName          bool               // stat shows the legend, not the value
}

type target struct{ expr, legend string }

// mapping is the text and colour a stat shows for a value.
type mapping struct{ text, color string }

func (b *board) timeseries(p panel) {
	tp := timeseries.NewPanelBuilder().
		Id(b.id()).
		Title(p.title).
		Description(p.desc).
		Datasource(datasource).
		Unit(p.unit).
		Span(p.span).
		Height(8).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending)).
		FillOpacity(10).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		Thresholds(thresholds(p.threshold, p.lowIsBad))
	if p.threshold != nil {
		tp.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	switch {
	case p.bars:
		tp.DrawStyle(common.GraphDrawStyleBars).FillOpacity(80)
	case p.points:
		tp.DrawStyle(common.GraphDrawStylePoints).ShowPoints(common.VisibilityModeAlways).PointSize(6)
	}
	if p.min != nil {
		tp.Min(*p.min)
	}
	if p.max != nil {
		tp.Max(*p.max)
	}
	for i, t := range p.targets {
		tp.WithTarget(query(i, t))
	}
	b.WithPanel(tp)
}

func (b *board) stat(p panel) {
	sp := stat.NewPanelBuilder().
		Id(b.id()).
		Title(p.title).
		Description(p.desc).
		Datasource(datasource).
		Unit(p.unit).
		Span(p.span).
		Height(4).
		GraphMode(common.BigValueGraphModeNone).
		ColorMode(common.BigValueColorModeValue).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Thresholds(thresholds(p.threshold, p.lowIsBad))
	if p.showName {
		sp.TextMode(common.BigValueTextModeName)
	}
	if len(p.mappings) > 0 {
		sp.Mappings([]dashboard.ValueMapping{valueMap(p.mappings)})
	}
	for i, t := range p.targets {
		sp.WithTarget(query(i, t))
	}
	b.WithPanel(sp)
}

// query is a range query with refId A, B, ... Instant queries would be
// cheaper for stats, but range queries keep every panel's history
// inspectable and the tests treat all targets alike.
func query(i int, t target) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		RefId(string(rune('A' + i))).
		Datasource(datasource).
		Expr(strings.TrimSpace(t.expr)).
		LegendFormat(t.legend).
		Range()
}

func thresholds(at *float64, lowIsBad bool) *dashboard.ThresholdsConfigBuilder {
	below, above := "green", "red"
	if lowIsBad {
		below, above = above, below
	}
	steps := []dashboard.Threshold{{Color: below}}
	if at != nil {
		steps = append(steps, dashboard.Threshold{Value: at, Color: above})
	} else {
		steps[0].Color = "green"
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func valueMap(mappings map[string]mapping) dashboard.ValueMapping {
	options := make(map[string]dashboard.ValueMappingResult, len(mappings))
	for value, m := range mappings {
		options[value] = dashboard.ValueMappingResult{Text: ptr(m.text), Color: ptr(m.color)}
	}
	return dashboard.ValueMapping{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: options}}
}

func all() dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: ptr("All")},
		Value: dashboard.StringOrArrayOfString{String: ptr("$__all")},
	}
}

func ptr[T any](v T) *T { return &v }
