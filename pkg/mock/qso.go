package mock

import (
	"context"
	"iter"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.QSOService = (*QSOService)(nil)

// QSOService is a fake awardtracker.QSOService.
type QSOService struct {
	ImportQSOsFn func(ctx context.Context, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error)
	FindQSOsFn   func(ctx context.Context, userID int64, filter awardtracker.QSOFilter) ([]awardtracker.QSO, int, error)
	DeleteQSOFn  func(ctx context.Context, userID, qsoID int64) error
	AwardFactsFn func(ctx context.Context, userID int64) ([]awardtracker.AwardFact, error)
	ExportQSOsFn func(ctx context.Context, userID int64, f awardtracker.ExportFilter) iter.Seq2[awardtracker.QSO, error]
}

func (s *QSOService) ImportQSOs(ctx context.Context, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error) {
	if s.ImportQSOsFn == nil {
		unset("QSOService.ImportQSOs")
	}
	return s.ImportQSOsFn(ctx, userID, src, records, opts)
}

func (s *QSOService) FindQSOs(ctx context.Context, userID int64, filter awardtracker.QSOFilter) ([]awardtracker.QSO, int, error) {
	if s.FindQSOsFn == nil {
		unset("QSOService.FindQSOs")
	}
	return s.FindQSOsFn(ctx, userID, filter)
}

func (s *QSOService) DeleteQSO(ctx context.Context, userID, qsoID int64) error {
	if s.DeleteQSOFn == nil {
		unset("QSOService.DeleteQSO")
	}
	return s.DeleteQSOFn(ctx, userID, qsoID)
}

func (s *QSOService) AwardFacts(ctx context.Context, userID int64) ([]awardtracker.AwardFact, error) {
	if s.AwardFactsFn == nil {
		unset("QSOService.AwardFacts")
	}
	return s.AwardFactsFn(ctx, userID)
}

func (s *QSOService) ExportQSOs(ctx context.Context, userID int64, f awardtracker.ExportFilter) iter.Seq2[awardtracker.QSO, error] {
	if s.ExportQSOsFn == nil {
		unset("QSOService.ExportQSOs")
	}
	return s.ExportQSOsFn(ctx, userID, f)
}
