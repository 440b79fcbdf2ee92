package syncer

import (
	"sync"
	"time"

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
