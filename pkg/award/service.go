package award

import (
	"context"
	"fmt"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.AwardService = (*Service)(nil)

// Service computes award progress from the facts a QSOService groups in
// storage. It holds no state and caches nothing: callers that want caching
// wrap it.
type Service struct {
	qsos awardtracker.QSOService
}

// NewService returns a Service reading facts from qsos.
func NewService(qsos awardtracker.QSOService) *Service {
	return &Service{qsos: qsos}
}

// Awards returns the progress of every tracked award, in AwardIDs order. A
// user without QSOs gets zero progress. Errors from the QSOService keep their
// code (e.g. EUNAVAILABLE).
func (s *Service) Awards(ctx context.Context, userID int64) ([]awardtracker.AwardProgress, error) {
	facts, err := s.qsos.AwardFacts(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("award facts: %w", err)
	}
	return All(facts), nil
}
