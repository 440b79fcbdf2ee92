package awardtracker

import (
	"context"
	"io"
	"time"
)

// ImportRecord is one record of an import stream: a QSO, or the reason the
// record was rejected.
type ImportRecord struct {
	Index int   // 1-based position in the file
	QSO   QSO   // valid when Err is nil
	Err   error // why the record was rejected
}

// Rejection is a record that was not imported, and why.
type Rejection struct {
	Record int    `json:"record"`
	Error  string `json:"error"`
}

// ImportResult counts what an import or a sync did.
type ImportResult struct {
	Imported   int         `json:"imported"`   // new QSOs
	Updated    int         `json:"updated"`    // existing QSOs that changed
	Duplicates int         `json:"duplicates"` // records that matched and changed nothing
	Rejected   []Rejection `json:"rejected"`
}

// Changed reports whether the import wrote anything.
func (r *ImportResult) Changed() bool { return r.Imported > 0 || r.Updated > 0 }

// ImportOptions modify an import.
type ImportOptions struct {
	// Cursor, if set, is stored as the source's sync cursor in the same
	// transaction, with LastSuccess set to SyncedAt: used by syncs.
	Cursor   *string
	SyncedAt time.Time
}

// ImportService imports ADIF files, as uploaded by a user.
type ImportService interface {
	// ImportADIF reads an ADIF file from r to its end, then imports its
	// records into the user's log as coming from src, in one transaction
	// (QSOService.ImportQSOs). The database is not touched until r is read
	// whole, so a slow reader never holds it. Returns EINVALID for a file
	// that is not ADIF (nothing is written), EUNAVAILABLE when the file
	// cannot be stored while it is read (r's own error is in the chain: the
	// caller knows whether r failed).
	ImportADIF(ctx context.Context, userID int64, src Source, r io.Reader) (*ImportResult, error)
}
