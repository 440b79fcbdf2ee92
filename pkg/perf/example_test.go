package perf_test

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/perf"
)

// The storage package's GORM callback does what afterStatement does here:
// it names each statement after the context it ran under.
func ExampleWithQuery() {
	tr := perf.New(prometheus.NewRegistry(), perf.Options{})
	afterStatement := func(ctx context.Context, took time.Duration) {
		name, _ := perf.QueryFrom(ctx) // unnamed statements fold into "other"
		tr.Observe(name, took)
	}

	ctx := perf.WithQuery(context.Background(), "qso_stats")
	afterStatement(ctx, 3*time.Millisecond)
	afterStatement(ctx, 5*time.Millisecond)
	afterStatement(context.Background(), 120*time.Millisecond)

	s := tr.Summary()
	fmt.Println(s.TotalQueries, s.Avg, s.SlowQueries, s.Rating)
	for _, q := range s.Queries {
		fmt.Println(q.Query, q.Count, q.Avg, q.Max, q.Rating)
	}
	// Output:
	// 3 42.666666ms 1 GOOD
	// other 1 120ms 120ms SLOW
	// qso_stats 2 4ms 5ms EXCELLENT
}
