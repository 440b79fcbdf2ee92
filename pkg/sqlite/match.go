package sqlite

import (
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// An import decides, for each incoming record in file order, which of the
// user's QSOs it belongs to (see the rules in package awardtracker):
//
//  1. a QSO already linked to a record of the same source with the same
//     TQSL key: the record is a duplicate (RecordKey.Duplicate);
//  2. else the closest QSO not yet linked to a record of this source that
//     LoTW's rule matches (awardtracker.Match): the record is linked to it;
//  3. else a new QSO.
//
// Every QSO keeps the key of each record linked to it, one column per
// source (log_key, lotw_key, dcl_key): the record that created it and the
// ones that confirmed it. That is what makes the rules one to one and lets a
// record sent again (LoTW's since is inclusive) be recognised instead of
// confirming or creating another QSO.

// keyColumn is the qsos column holding the key of a source's linked record.
func keyColumn(src awardtracker.Source) string {
	switch src {
	case awardtracker.SourceLoTW:
		return "lotw_key"
	case awardtracker.SourceDCL:
		return "dcl_key"
	}
	return "log_key"
}

// keyField is the field of r behind keyColumn.
func keyField(r *qsoRow, src awardtracker.Source) *string {
	switch src {
	case awardtracker.SourceLoTW:
		return &r.LoTWKey
	case awardtracker.SourceDCL:
		return &r.DCLKey
	}
	return &r.LogKey
}

// formatKey encodes a record key as stored:
//
//	<unix start>|<s or m>|STATION|CALL|BAND|MODE|PROP_MODE|SAT_NAME
//
// "s" says the start has seconds, "m" that it was logged to the minute.
// SAT_NAME comes last so that a '|' in it cannot shift the other fields. A
// '|' in a callsign (never valid, but not refused) would shift them: such a
// record is then not recognised as a duplicate and stays a QSO of its own,
// so nothing is lost.
// A hand-written format rather than JSON: one short string per record that
// migrate's SQL can build too (keySQL) and parseKey reads without
// allocating, which keeps the import's index small and fast.
func formatKey(k awardtracker.RecordKey) string {
	b := make([]byte, 0, 48)
	b = strconv.AppendInt(b, k.Start.Unix(), 10)
	if k.Seconds {
		b = append(b, "|s|"...)
	} else {
		b = append(b, "|m|"...)
	}
	for _, f := range [...]string{k.Station, k.Call, k.Band, k.Mode, k.PropMode} {
		b = append(b, f...)
		b = append(b, '|')
	}
	b = append(b, k.SatName...)
	return string(b)
}

// keySQL is formatKey in SQL over a qsos row, for rows stored before keys
// were kept: their start was stored exactly, so it counts as having seconds
// (a re-imported HHMM record still compares to the minute).
const keySQL = "start || '|s|' || station_callsign || '|' || call || '|' || band || '|' || mode || '|' || prop_mode || '|' || sat_name"

// parseKey decodes formatKey's string; ok is false for anything else.
func parseKey(s string) (k awardtracker.RecordKey, ok bool) {
	unix, s, _ := strings.Cut(s, "|")
	prec, s, _ := strings.Cut(s, "|")
	n, err := strconv.ParseInt(unix, 10, 64)
	if err != nil || (prec != "s" && prec != "m") {
		return k, false
	}
	k.Start, k.Seconds = time.Unix(n, 0).UTC(), prec == "s"
	for _, f := range [...]*string{&k.Station, &k.Call, &k.Band, &k.Mode, &k.PropMode} {
		var found bool
		if *f, s, found = strings.Cut(s, "|"); !found {
			return awardtracker.RecordKey{}, false
		}
	}
	k.SatName = s
	return k, true
}

// matchEntry is what the import needs to know of an existing QSO to match it.
type matchEntry struct {
	id       int64
	row      *qsoRow // set for QSOs added by this import and not written yet
	station  string
	start    int64
	group    string // mode group
	propMode string
	satName  string
	// key is the key of the QSO's record from the importing source, "" if
	// it has none yet. The other sources' keys do not matter to an import.
	key string
}

// matchIndex groups a user's QSOs by call and band, which both rules need
// equal.
type matchIndex map[string][]*matchEntry

func matchKey(call, band string) string { return call + "\x00" + band }

// loadMatchIndex reads what matching needs of the user's QSOs, with the key
// of each one's record from src.
func loadMatchIndex(tx *gorm.DB, userID int64, src awardtracker.Source) (matchIndex, error) {
	rows, err := tx.Model(&qsoRow{}).
		Select("id, station_callsign, call, band, mode_group, start, prop_mode, sat_name, "+keyColumn(src)).
		Where("user_id = ?", userID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	idx := matchIndex{}
	for rows.Next() {
		var e matchEntry
		var call, band string
		if err := rows.Scan(&e.id, &e.station, &call, &band, &e.group, &e.start, &e.propMode, &e.satName, &e.key); err != nil {
			return nil, err
		}
		e.group = internGroup(e.group)
		idx.add(&e, call, band)
	}
	return idx, rows.Err()
}

// internGroup shares the three mode group strings between entries instead
// of keeping one copy per QSO.
func internGroup(g string) string {
	for _, c := range [...]awardtracker.ModeGroup{awardtracker.ModeGroupCW, awardtracker.ModeGroupPhone, awardtracker.ModeGroupData} {
		if g == string(c) {
			return string(c)
		}
	}
	return g
}

func (idx matchIndex) add(e *matchEntry, call, band string) {
	k := matchKey(call, band)
	idx[k] = append(idx[k], e)
}

// find returns the QSO that the record q (with key k) belongs to, and
// whether it is a duplicate of the QSO's record from the same source; nil
// if it belongs to none and is a new QSO.
func (idx matchIndex) find(q *awardtracker.QSO, k awardtracker.RecordKey) (e *matchEntry, duplicate bool) {
	start := q.Start.Unix()
	window := int64(awardtracker.MatchWindow / time.Second)
	var best *matchEntry
	var bestD int64
	for _, c := range idx[matchKey(k.Call, k.Band)] {
		if c.key != "" {
			// Linked to a record of this source already: the same record
			// again, or not this QSO (one to one).
			if stored, ok := parseKey(c.key); ok && k.Duplicate(stored) {
				return c, true
			}
			continue
		}
		// Both upper case: stored so, and q normalised by the import.
		if c.station != "" && q.StationCallsign != "" && c.station != q.StationCallsign {
			continue
		}
		if c.group != string(q.ModeGroup) || !awardtracker.SameSatellite(c.propMode, c.satName, q.PropMode, q.SatName) {
			continue
		}
		d := c.start - start
		if d < 0 {
			d = -d
		}
		if d > window {
			continue
		}
		// Closest first; a tie goes to the earlier QSO.
		if best == nil || d < bestD || (d == bestD && c.start < best.start) {
			best, bestD = c, d
		}
	}
	return best, false
}
