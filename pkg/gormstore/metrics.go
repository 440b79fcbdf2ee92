package gormstore

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	upDesc = prometheus.NewDesc("awardtracker_db_up",
		"Whether the database is usable (1) or not (0): its file is the one opened, the last write did not fail for want of storage, and it answers a query.", nil, nil)
	writableDesc = prometheus.NewDesc("awardtracker_db_writable",
		"Whether the last database write succeeded (1), or failed because the disk is full, an I/O error, or the file is read-only, missing or replaced (0).", nil, nil)
	writeFailuresDesc = prometheus.NewDesc("awardtracker_db_write_failures_total",
		"Database writes that failed because of the storage, by reason (file_gone, disk_full, io_error, read_only, corrupt, busy).", []string{"reason"}, nil)
)

// Collector exports, read at scrape time: awardtracker_db_up (a Ping:
// alerts use it to tell an unhealthy service from a dead one),
// awardtracker_db_writable and awardtracker_db_write_failures_total.
func (db *DB) Collector() prometheus.Collector { return dbCollector{db} }

type dbCollector struct{ db *DB }

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- upDesc
	ch <- writableDesc
	ch <- writeFailuresDesc
}

func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	up := 1.0
	if c.db.Ping(ctx) != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up)
	failures, writable := c.db.health.snapshot()
	ch <- prometheus.MustNewConstMetric(writableDesc, prometheus.GaugeValue, boolFloat(writable))
	for reason, n := range failures {
		ch <- prometheus.MustNewConstMetric(writeFailuresDesc, prometheus.CounterValue, n, reason)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
