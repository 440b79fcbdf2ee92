package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// Tracked is the number of clients l holds, counted from its shards rather
// than from the gauge, so that tests can check the two agree.
func (l *Limiter) Tracked() int {
	if l.table == nil {
		return 0
	}
	n := 0
	for i := range l.table.shards {
		s := &l.table.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// The series of policy, for testutil.ToFloat64.
func (m *Metrics) Rejected(policy string) prometheus.Counter {
	return m.rejected.WithLabelValues(policy)
}

func (m *Metrics) Clients(policy string) prometheus.Gauge {
	return m.clients.WithLabelValues(policy)
}

func (m *Metrics) Evictions(policy string) prometheus.Counter {
	return m.evictions.WithLabelValues(policy)
}
