// Package awardtracker is the domain of the service: users, QSOs, statistics,
// award progress and sync state, the error codes every layer speaks, and the
// service interfaces that the adapter packages (sqlite, cache, api, syncer...)
// implement or consume.
//
// It imports nothing but the standard library, so that every adapter can depend
// on it and none has to depend on another.
package awardtracker

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
