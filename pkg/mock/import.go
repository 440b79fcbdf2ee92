package mock

import (
	"context"
	"io"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.ImportService = (*ImportService)(nil)

// ImportService is a fake awardtracker.ImportService.
type ImportService struct {
	ImportADIFFn func(ctx context.Context, userID int64, src awardtracker.Source, r io.Reader) (*awardtracker.ImportResult, error)
}

func (s *ImportService) ImportADIF(ctx context.Context, userID int64, src awardtracker.Source, r io.Reader) (*awardtracker.ImportResult, error) {
	if s.ImportADIFFn == nil {
		unset("ImportService.ImportADIF")
	}
	return s.ImportADIFFn(ctx, userID, src, r)
}
