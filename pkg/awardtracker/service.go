package awardtracker

import (
	"context"
	"io"
	"iter"
	"time"
)

// UserService manages accounts.
type UserService interface {
	// CreateUser stores a new user with an already hashed password.
	// Returns ECONFLICT if the callsign is taken.
	CreateUser(ctx context.Context, callsign string, passwordHash []byte) (*User, error)
	// FindUserByCallsign returns the user and its password hash.
	// Returns ENOTFOUND if there is none.
	FindUserByCallsign(ctx context.Context, callsign string) (*User, []byte, error)
	// FindUserByID returns ENOTFOUND if there is no such user.
	FindUserByID(ctx context.Context, id int64) (*User, error)
}

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

// QSOService stores and queries QSOs.
type QSOService interface {
	// ImportQSOs applies a stream of records from src in one transaction,
	// in stream order: a duplicate of a record of src that a QSO holds
	// already (RecordKey.Duplicate) changes at most that QSO's empty
	// fields; a record that Match pairs with a QSO not yet linked to a
	// record of src is linked to the closest such QSO and updates it; any
	// other record is a new QSO. Rejected records are listed. A non-nil error from the stream
	// aborts the import and nothing is written (EINVALID for bad input).
	ImportQSOs(ctx context.Context, userID int64, src Source, records iter.Seq2[ImportRecord, error], opts ImportOptions) (*ImportResult, error)
	// FindQSOs returns a page of the user's QSOs, newest first, and the
	// number of QSOs matching the filter.
	FindQSOs(ctx context.Context, userID int64, filter QSOFilter) ([]QSO, int, error)
	// DeleteQSO deletes one of the user's QSOs. Returns ENOTFOUND if the
	// user has no QSO with that id.
	DeleteQSO(ctx context.Context, userID, qsoID int64) error
	// AwardFacts returns the user's QSOs grouped by every award attribute.
	AwardFacts(ctx context.Context, userID int64) ([]AwardFact, error)
	// ExportQSOs streams the user's QSOs matching f, oldest first, from one
	// consistent snapshot, holding a bounded number of them in memory
	// however large the log. An error (EUNAVAILABLE when the database
	// cannot be read) is yielded once, last.
	ExportQSOs(ctx context.Context, userID int64, f ExportFilter) iter.Seq2[QSO, error]
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
