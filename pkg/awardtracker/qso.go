package awardtracker

import (
	"context"
	"iter"
	"time"
)

// QSO is one contact of a user, merged from every source that reported it.
type QSO struct {
	ID              int64     `json:"id"`
	UserID          int64     `json:"-"`
	StationCallsign string    `json:"stationCallsign,omitempty"`
	Call            string    `json:"call"`
	Start           time.Time `json:"start"` // UTC, to the second
	Band            string    `json:"band"`  // lower case, e.g. "20m"
	FreqMHz         float64   `json:"freqMHz,omitempty"`
	Mode            string    `json:"mode"`              // ADIF mode, e.g. "MFSK"
	Submode         string    `json:"submode,omitempty"` // ADIF submode, e.g. "FT4"
	ModeGroup       ModeGroup `json:"modeGroup"`
	DXCC            int       `json:"dxcc,omitempty"`
	Country         string    `json:"country,omitempty"`
	State           string    `json:"state,omitempty"`
	CQZone          int       `json:"cqZone,omitempty"`
	ITUZone         int       `json:"ituZone,omitempty"`
	Grid            string    `json:"grid,omitempty"`
	DOK             string    `json:"dok,omitempty"`
	PropMode        string    `json:"propMode,omitempty"` // ADIF PROP_MODE, upper case, e.g. "SAT"
	SatName         string    `json:"satName,omitempty"`  // ADIF SAT_NAME, upper case, e.g. "QO-100"
	Source          Source    `json:"source"`             // the source that first reported it

	// StartSeconds says the record's TIME_ON had seconds (HHMMSS). Duplicate
	// detection compares start times to the minute when a record has none.
	// It describes an incoming record; stored QSOs keep it in their record
	// keys instead.
	StartSeconds bool `json:"-"`

	LoTWConfirmed   bool       `json:"lotwConfirmed"`
	LoTWConfirmedAt *time.Time `json:"lotwConfirmedAt,omitempty"`
	DCLConfirmed    bool       `json:"dclConfirmed"`
	DCLConfirmedAt  *time.Time `json:"dclConfirmedAt,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Satellite reports whether the QSO was made through a satellite: PROP_MODE
// SAT, or a SAT_NAME (old loggers write only the name).
func (q *QSO) Satellite() bool { return IsSatellite(q.PropMode, q.SatName) }

// IsSatellite is QSO.Satellite for the two fields on their own.
func IsSatellite(propMode, satName string) bool {
	return propMode == PropModeSatellite || satName != ""
}

// PropModeSatellite is ADIF's PROP_MODE for a contact through a satellite.
const PropModeSatellite = "SAT"

// Confirmed reports whether LoTW or DCL confirmed the QSO.
func (q *QSO) Confirmed() bool { return q.LoTWConfirmed || q.DCLConfirmed }

// DisplayMode is the submode where there is one, else the mode ("FT4", "FT8", "CW").
func (q *QSO) DisplayMode() string {
	if q.Submode != "" {
		return q.Submode
	}
	return q.Mode
}

// QSOFilter selects a page of a user's QSOs. Zero values select everything.
type QSOFilter struct {
	Limit     int    // at most this many (the API caps it)
	Offset    int    // skip this many
	Band      string // lower-case band
	Mode      string // matches mode or submode
	Confirmed *bool  // confirmed by LoTW or DCL, or not
	Call      string // exact worked callsign
}

// ExportFilter selects the QSOs of an export: the QSO list's filters,
// without paging, and a start date. Zero values select everything.
type ExportFilter struct {
	Band      string    // lower-case band
	Mode      string    // matches mode or submode
	Confirmed *bool     // confirmed by LoTW or DCL, or not
	Call      string    // exact worked callsign
	Since     time.Time // QSOs that started at or after this
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
