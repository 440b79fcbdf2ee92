// Package importer provides the ADIF import service: an upload is spooled
// to an unlinked temporary file (package spool), then parsed (package adif)
// and applied in one transaction by a QSOService. Both the API's import
// route and anything else that imports a file (the demo, a command) use it,
// so that "spool, parse, import" is written once.
//
// It does not limit the upload's size (the caller bounds r) or invalidate
// caches (the QSOService it is given, cache.QSOService, does).
package importer

import (
	"context"
	"io"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/spool"
)

// Service implements awardtracker.ImportService.
type Service struct {
	qsos     awardtracker.QSOService
	spoolDir string
}

var _ awardtracker.ImportService = (*Service)(nil)

// New returns a Service that imports through qsos and spools uploads in
// spoolDir ("" means os.TempDir()).
func New(qsos awardtracker.QSOService, spoolDir string) *Service {
	return &Service{qsos: qsos, spoolDir: spoolDir}
}

// ImportADIF spools r, then imports it; see awardtracker.ImportService.
// Spooling first means that however slowly r delivers, the database's write
// lock is not held for it, and memory stays bounded however large the file.
func (s *Service) ImportADIF(ctx context.Context, userID int64, src awardtracker.Source, r io.Reader) (*awardtracker.ImportResult, error) {
	f, err := spool.File(r, s.spoolDir, "awardtracker-import-*.adi")
	if err != nil {
		return nil, awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot store the upload", err)
	}
	defer f.Close()
	return s.qsos.ImportQSOs(ctx, userID, src, adif.Records(f, src), awardtracker.ImportOptions{})
}
