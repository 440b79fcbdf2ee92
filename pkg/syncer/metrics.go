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
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	records     *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	inProgress  *prometheus.GaugeVec
	interval    prometheus.Gauge

	mu   sync.Mutex
	last map[awardtracker.Source]time.Time
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
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "awardtracker_sync_last_success_timestamp_seconds",
			Help: "When a sync of the source last succeeded for any user (Unix time; 0: not since start).",
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
		last: map[awardtracker.Source]time.Time{},
	}
	for _, c := range []prometheus.Collector{m.runs, m.duration, m.records, m.lastSuccess, m.inProgress, m.interval} {
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
		m.lastSuccess.WithLabelValues(s)
		m.inProgress.WithLabelValues(s)
	}
	return m, nil
}

// setLastSuccess moves the gauge forward only: the scheduler also feeds it
// the stored LastSuccess of every user, so that it is right after a restart.
func (m *metrics) setLastSuccess(src awardtracker.Source, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.After(m.last[src]) {
		m.last[src] = t
		m.lastSuccess.WithLabelValues(string(src)).Set(float64(t.UnixNano()) / 1e9)
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
