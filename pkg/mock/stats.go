package mock

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.StatsService = (*StatsService)(nil)

// StatsService is a fake awardtracker.StatsService.
type StatsService struct {
	StatsFn func(ctx context.Context, userID int64) (*awardtracker.Stats, error)
}

func (s *StatsService) Stats(ctx context.Context, userID int64) (*awardtracker.Stats, error) {
	if s.StatsFn == nil {
		unset("StatsService.Stats")
	}
	return s.StatsFn(ctx, userID)
}
