package mock

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.AwardService = (*AwardService)(nil)

// AwardService is a fake awardtracker.AwardService.
type AwardService struct {
	AwardsFn func(ctx context.Context, userID int64) ([]awardtracker.AwardProgress, error)
}

func (s *AwardService) Awards(ctx context.Context, userID int64) ([]awardtracker.AwardProgress, error) {
	if s.AwardsFn == nil {
		unset("AwardService.Awards")
	}
	return s.AwardsFn(ctx, userID)
}
