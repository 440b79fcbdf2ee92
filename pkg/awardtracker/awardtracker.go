// Package awardtracker is the domain of the service: users, QSOs, statistics,
// award progress and sync state, the error codes every layer speaks, and the
// service interfaces that the adapter packages (sqlite, cache, api, syncer...)
// implement or consume.
//
// It imports nothing but the standard library, so that every adapter can depend
// on it and none has to depend on another.
package awardtracker

import "time"

// Source says where a QSO record came from.
type Source string

// The sources a record can be imported or synced from.
const (
	SourceLog  Source = "log"  // the user's own log (an ADIF export of a desktop logger)
	SourceLoTW Source = "lotw" // ARRL Logbook of the World
	SourceDCL  Source = "dcl"  // DARC Community Logbook
)

// ParseSource validates a source name. The empty string means SourceLog.
func ParseSource(s string) (Source, error) {
	switch Source(s) {
	case "", SourceLog:
		return SourceLog, nil
	case SourceLoTW, SourceDCL:
		return Source(s), nil
	}
	return "", Errorf(EINVALID, "unknown source %q: want log, lotw or dcl", s)
}

// ModeGroup is LoTW's DXCC mode group.
type ModeGroup string

// The mode groups; LoTW matches QSOs whose modes are in the same group.
const (
	ModeGroupCW    ModeGroup = "CW"
	ModeGroupPhone ModeGroup = "PHONE"
	ModeGroupData  ModeGroup = "DATA"
)

// User is an account. Callsigns are stored upper-case.
type User struct {
	ID        int64     `json:"id"`
	Callsign  string    `json:"callsign"`
	CreatedAt time.Time `json:"createdAt"`
}

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
