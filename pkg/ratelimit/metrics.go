package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the numbers of every Limiter created with it, labelled by
// policy name. A policy's series appear, at zero, when its Limiter is
// created:
//
//	awardtracker_http_rate_limited_total{policy}            requests rejected with 429
//	awardtracker_http_rate_limit_clients{policy}            clients tracked now
//	awardtracker_http_rate_limit_evictions_total{policy}    clients forgotten before their bucket refilled
//
// Evictions mean the client bound was reached by clients that are all still
// limited, i.e. a flood of addresses; each evicted client got a fresh burst.
type Metrics struct {
	rejected  *prometheus.CounterVec
	clients   *prometheus.GaugeVec
	evictions *prometheus.CounterVec
}

// NewMetrics returns the rate limiting metrics, registered on reg (if not
// nil). It panics if they are registered already, as MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	policy := []string{"policy"}
	m := &Metrics{
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "awardtracker_http_rate_limited_total",
			Help: "Requests rejected with 429 Too Many Requests, by rate limit policy.",
		}, policy),
		clients: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "awardtracker_http_rate_limit_clients",
			Help: "Client addresses (IPv6: /64 prefixes) whose token bucket is tracked, by rate limit policy.",
		}, policy),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "awardtracker_http_rate_limit_evictions_total",
			Help: "Tracked clients dropped before their bucket refilled because the client bound was reached, by rate limit policy.",
		}, policy),
	}
	if reg != nil {
		reg.MustRegister(m.rejected, m.clients, m.evictions)
	}
	return m
}
