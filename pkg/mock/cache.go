package mock

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.CacheService = (*CacheService)(nil)

// CacheService is a fake awardtracker.CacheService.
type CacheService struct {
	CacheCountersFn        func() []awardtracker.CacheCounters
	InvalidateUserCachesFn func(ctx context.Context, userID int64)
	InvalidateAllCachesFn  func(ctx context.Context)
}

func (s *CacheService) CacheCounters() []awardtracker.CacheCounters {
	if s.CacheCountersFn == nil {
		unset("CacheService.CacheCounters")
	}
	return s.CacheCountersFn()
}

func (s *CacheService) InvalidateUserCaches(ctx context.Context, userID int64) {
	if s.InvalidateUserCachesFn == nil {
		unset("CacheService.InvalidateUserCaches")
	}
	s.InvalidateUserCachesFn(ctx, userID)
}

func (s *CacheService) InvalidateAllCaches(ctx context.Context) {
	if s.InvalidateAllCachesFn == nil {
		unset("CacheService.InvalidateAllCaches")
	}
	s.InvalidateAllCachesFn(ctx)
}
