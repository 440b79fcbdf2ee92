package syncer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

type metrics struct {
	runs       *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	records    *prometheus.CounterVec
	inProgress *prometheus.GaugeVec
	interval   prometheus.Gauge
}

var (
	sources = []awardtracker.Source{awardtracker.SourceLoTW, awardtracker.SourceDCL}
	results = []string{ResultSuccess, ResultAuthError, ResultRateLimited, ResultTruncated, ResultError}
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "awardtracker_sync_runs_total",
			Help: "Sync runs by source and result (success, auth_error, rate_limited, truncated, error).",
		}, []string{"source", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "awardtracker_sync_duration_seconds",
			Help:    "Duration of sync runs, download and import together.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"source"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "awardtracker_sync_records_total",
			Help: "Records fetched from the upstream by sync runs.",
		}, []string{"source"}),
		inProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "awardtracker_sync_in_progress",
			Help: "Sync runs in progress.",
		}, []string{"source"}),
		// The alerts read it so that "stale" follows --sync.interval
		// instead of assuming the default.
		interval: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_sync_interval_seconds",
			Help: "How often every user with stored credentials is synced (--sync.interval; 0: scheduled syncs are off).",
		}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.duration, m.records, m.inProgress, m.interval} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, src := range sources {
		s := string(src)
		for _, r := range results {
			m.runs.WithLabelValues(s, r)
		}
		m.duration.WithLabelValues(s)
		m.records.WithLabelValues(s)
		m.inProgress.WithLabelValues(s)
	}
	return m, nil
}

var lastSuccessDesc = prometheus.NewDesc("awardtracker_sync_last_success_timestamp_seconds",
	"When a sync of the source last succeeded for any user, as stored in the database (Unix time; 0: never). "+
		"Every replica of a fleet reports the same value.", []string{"source"}, nil)

// lastSuccessCollector reads the newest stored success of each source at
// scrape time. Kept in the process, the value would be each replica's own
// view: in a fleet a sync runs on one replica and the schedule, which read
// the stored states, on River's leader only, so the others reported stale
// times and a rule's result depended on the replica it read. The stored
// value is the one every replica agrees on, and the read is one indexed
// row per source.
type lastSuccessCollector struct {
	states awardtracker.SyncStateService
	log    *slog.Logger

	mu   sync.Mutex
	last map[awardtracker.Source]time.Time // the last value read, kept when a read fails
}

func newLastSuccessCollector(states awardtracker.SyncStateService, log *slog.Logger) *lastSuccessCollector {
	return &lastSuccessCollector{states: states, log: log, last: map[awardtracker.Source]time.Time{}}
}

func (c *lastSuccessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lastSuccessDesc }

func (c *lastSuccessCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.mu.Lock() // concurrent scrapes read once each, never interleaved
	defer c.mu.Unlock()
	for _, src := range sources {
		t, err := c.states.LastSuccess(ctx, src)
		switch {
		case err != nil:
			// Report the last value read rather than drop the series:
			// a gap would make AwardtrackerSyncStale forget its pending
			// state, and the database's own alerts cover the failure.
			c.log.Warn("Cannot read the last sync success", "source", src, "err", err)
		case t != nil:
			c.last[src] = *t
		}
		v := 0.0
		if t, ok := c.last[src]; ok {
			v = float64(t.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, v, string(src))
	}
}

// The River queue's figures, read from its table at scrape time. They are
// global: every replica reports the same values, so aggregate them with
// max, not sum.
var (
	queueWaitingDesc = prometheus.NewDesc("awardtracker_sync_queue_jobs_waiting",
		"Sync jobs ready to run and waiting for a worker, across the fleet (global: aggregate with max).", nil, nil)
	queueOldestDesc = prometheus.NewDesc("awardtracker_sync_queue_oldest_waiting_age_seconds",
		"Age of the oldest sync job ready to run and waiting for a worker (0: none; global: aggregate with max).", nil, nil)
	queueDiscardedDesc = prometheus.NewDesc("awardtracker_sync_queue_jobs_discarded",
		"Sync jobs River gave up on after their last attempt, still retained (global: aggregate with max).", nil, nil)
)

// queueCollector reads the queue's figures at scrape time.
type queueCollector struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueWaitingDesc
	ch <- queueOldestDesc
	ch <- queueDiscardedDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var waiting, discarded int64
	var oldest float64
	// One scan of the sync jobs; the database's clock for the age, so that
	// every replica computes the same value.
	err := c.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE state = 'available'),
		COALESCE(EXTRACT(EPOCH FROM now() - min(scheduled_at) FILTER (WHERE state = 'available')), 0)::float8,
		count(*) FILTER (WHERE state = 'discarded')
		FROM river_job WHERE kind = $1`, syncArgs{}.Kind()).Scan(&waiting, &oldest, &discarded)
	if err != nil {
		// Leave the series out rather than fail the whole scrape: the
		// database's own alerts cover an unreachable PostgreSQL.
		c.log.Warn("Cannot read the sync queue's figures", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueWaitingDesc, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, max(oldest, 0))
	ch <- prometheus.MustNewConstMetric(queueDiscardedDesc, prometheus.GaugeValue, float64(discarded))
}
