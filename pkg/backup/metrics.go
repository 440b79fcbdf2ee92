package backup

import "github.com/prometheus/client_golang/prometheus"

// metrics are the scheduler's. They exist only when scheduled backups are
// on, so that the backup alerts stay silent on an install without them.
type metrics struct {
	lastSuccess prometheus.Gauge
	lastRun     prometheus.Gauge
	failures    prometheus.Counter
	interval    prometheus.Gauge
	size        prometheus.Gauge
	duration    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_backup_last_success_timestamp_seconds",
			Help: "When the newest scheduled backup was taken (at start: the newest in --backup.dir), 0 if there is none.",
		}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_backup_last_run_success",
			Help: "Whether the last scheduled backup succeeded (1) or failed (0); 1 before the first run.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "awardtracker_backup_failures_total",
			Help: "Scheduled backups that failed.",
		}),
		interval: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_backup_interval_seconds",
			Help: "How often a scheduled backup is taken (--backup.interval).",
		}),
		size: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_backup_last_size_bytes",
			Help: "Size of the newest scheduled backup.",
		}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_backup_last_duration_seconds",
			Help: "How long the last scheduled backup took, successful or not.",
		}),
	}
	m.lastRun.Set(1)
	for _, c := range []prometheus.Collector{m.lastSuccess, m.lastRun, m.failures, m.interval, m.size, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
