package sqlite

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// upDesc describes awardtracker_db_up.
var upDesc = prometheus.NewDesc("awardtracker_db_up",
	"Whether the database answered a ping at scrape time (1) or not (0).", nil, nil)

// UpCollector exports awardtracker_db_up, read at scrape time: 1 when the
// database answered a ping, 0 when it did not. Alerts use it to tell an
// unhealthy service from a dead one.
func (db *DB) UpCollector() prometheus.Collector { return upCollector{db} }

type upCollector struct{ db *DB }

func (u upCollector) Describe(ch chan<- *prometheus.Desc) { ch <- upDesc }

func (u upCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v := 1.0
	if u.db.Ping(ctx) != nil {
		v = 0
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, v)
}
