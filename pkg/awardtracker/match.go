package awardtracker

import (
	"strings"
	"time"
)

// Two rules decide whether an incoming record describes a QSO the user
// already has. They differ because the questions differ:
//
//   - Between records of one source (two own-log exports, a LoTW report and
//     the next one) only an exact duplicate is the same QSO: Duplicate, by
//     TQSL's duplicate key. Two own QSOs with one station 12 minutes apart
//     are two QSOs, and LoTW confirms them separately.
//   - Between sources (a LoTW or DCL record confirming an own-log QSO) the
//     times and modes of the two sides differ a little: Match, LoTW's own
//     rule, applied one to one (a QSO is linked to at most one record of
//     each other source; the storage keeps each linked record's key).

// MatchWindow is LoTW's tolerance between the start times of two records of
// the same contact.
const MatchWindow = 30 * time.Minute

// Match reports whether two records of different sources describe the same
// contact, by LoTW's own rule: same station callsign when both have one,
// same worked call and band, same mode group, both through the same
// satellite or both not through one, and start times within MatchWindow.
// When several QSOs match a record, the closest in time wins and a tie goes
// to the earlier QSO.
func Match(a, b *QSO) bool {
	if a.StationCallsign != "" && b.StationCallsign != "" &&
		!strings.EqualFold(a.StationCallsign, b.StationCallsign) {
		return false
	}
	if !strings.EqualFold(a.Call, b.Call) || !strings.EqualFold(a.Band, b.Band) || a.ModeGroup != b.ModeGroup {
		return false
	}
	if !SameSatellite(a.PropMode, a.SatName, b.PropMode, b.SatName) {
		return false
	}
	d := a.Start.Sub(b.Start)
	return d <= MatchWindow && d >= -MatchWindow
}

// SameSatellite is Match's satellite condition: both QSOs through the same
// satellite (SAT_NAME, case-insensitive), or neither through one.
func SameSatellite(propA, satA, propB, satB string) bool {
	sa, sb := IsSatellite(propA, satA), IsSatellite(propB, satB)
	return sa == sb && (!sa || strings.EqualFold(satA, satB))
}

// RecordKey is what identifies one record of a source: TQSL's duplicate key.
// Fields are normalised as the ADIF reader leaves them (upper-case calls,
// satellite names and PROP_MODE, lower-case band, Mode already folded from
// the submode: USB is SSB, FT4 is MFSK), and compared as they are.
type RecordKey struct {
	Station  string    // STATION_CALLSIGN, "" when the record has none
	Call     string    // CALL
	Band     string    // BAND
	Mode     string    // MODE (a submode folded to its mode)
	PropMode string    // PROP_MODE
	SatName  string    // SAT_NAME
	Start    time.Time // QSO_DATE and TIME_ON, UTC
	Seconds  bool      // TIME_ON had seconds (HHMMSS rather than HHMM)
}

// Key returns the record key of an incoming record.
func (q *QSO) Key() RecordKey {
	return RecordKey{
		Station: q.StationCallsign, Call: q.Call, Band: q.Band, Mode: q.Mode,
		PropMode: q.PropMode, SatName: q.SatName, Start: q.Start.UTC(), Seconds: q.StartSeconds,
	}
}

// Duplicate reports whether two records of one source are the same record
// by TQSL's rule: equal call, band, mode, PROP_MODE, SAT_NAME and start,
// the start to the second when both have seconds and to the minute when
// either was logged as HHMM, and equal station callsigns when both have
// one. This is how an exported log read twice, the same log exported by two
// programs (one writing HHMMSS and USB, the other HHMM and SSB) or a LoTW
// record sent again add nothing.
func (k RecordKey) Duplicate(o RecordKey) bool {
	if k.Station != "" && o.Station != "" && k.Station != o.Station {
		return false
	}
	if k.Call != o.Call || k.Band != o.Band || k.Mode != o.Mode || k.PropMode != o.PropMode || k.SatName != o.SatName {
		return false
	}
	if k.Seconds && o.Seconds {
		return k.Start.Equal(o.Start)
	}
	return k.Start.Truncate(time.Minute).Equal(o.Start.Truncate(time.Minute))
}
