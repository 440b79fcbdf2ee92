package mock

import (
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.QueryStatsService = (*QueryStatsService)(nil)

// QueryStatsService is a fake awardtracker.QueryStatsService.
type QueryStatsService struct {
	SummaryFn  func() awardtracker.QuerySummary
	SlowFn     func(threshold time.Duration) []awardtracker.QueryStats
	DegradedFn func() []awardtracker.QueryDegradation
}

func (s *QueryStatsService) Summary() awardtracker.QuerySummary {
	if s.SummaryFn == nil {
		unset("QueryStatsService.Summary")
	}
	return s.SummaryFn()
}

func (s *QueryStatsService) Slow(threshold time.Duration) []awardtracker.QueryStats {
	if s.SlowFn == nil {
		unset("QueryStatsService.Slow")
	}
	return s.SlowFn(threshold)
}

func (s *QueryStatsService) Degraded() []awardtracker.QueryDegradation {
	if s.DegradedFn == nil {
		unset("QueryStatsService.Degraded")
	}
	return s.DegradedFn()
}
