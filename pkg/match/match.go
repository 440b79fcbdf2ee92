// Package match decides which of a user's stored QSOs an incoming record
// belongs to, by the two rules of package awardtracker (TQSL's duplicate key
// within a source, LoTW's one-to-one 30-minute rule across sources), and
// encodes the record keys the storage keeps.
//
// It is pure Go over an in-memory index, and the only implementation of the
// rules: each storage engine (package gormstore over SQLite or PostgreSQL)
// loads the index with one batched read, asks Find for every record in file
// order and writes the outcome in batches. No engine matches in SQL. The
// package does not read or write storage.
//
// An import decides, for each incoming record in file order:
//
//  1. a QSO already linked to a record of the same source with the same
//     TQSL key: the record is a duplicate (RecordKey.Duplicate);
//  2. else the closest QSO not yet linked to a record of this source that
//     LoTW's rule matches (awardtracker.Match): the record is linked to it;
//  3. else a new QSO.
package match

import (
	"strconv"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// FormatKey encodes a record key as stored:
//
//	<unix start>|<s or m>|STATION|CALL|BAND|MODE|PROP_MODE|SAT_NAME
//
// "s" says the start has seconds, "m" that it was logged to the minute.
// SAT_NAME comes last so that a '|' in it cannot shift the other fields. A
// '|' in a callsign (never valid, but not refused) would shift them: such a
// record is then not recognised as a duplicate and stays a QSO of its own,
// so nothing is lost.
// A hand-written format rather than JSON: one short string per record that
// a migration's SQL can build too (gormstore's keySQL) and ParseKey reads
// without allocating, which keeps the import's index small and fast.
func FormatKey(k awardtracker.RecordKey) string {
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

// ParseKey decodes FormatKey's string; ok is false for anything else.
func ParseKey(s string) (k awardtracker.RecordKey, ok bool) {
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

// Normalise brings the fields that matching compares to the case storage
// keeps them in, for records that did not come through the ADIF reader.
func Normalise(q *awardtracker.QSO) {
	q.StationCallsign = strings.ToUpper(q.StationCallsign)
	q.Call = strings.ToUpper(q.Call)
	q.Band = strings.ToLower(q.Band)
	q.PropMode = strings.ToUpper(q.PropMode)
	q.SatName = strings.ToUpper(q.SatName)
}

// Entry is what matching needs to know of one QSO. The storage keeps its
// own data beside it (the row id, or the row not written yet).
type Entry struct {
	ID       int64 // the stored QSO's id; 0 while the QSO is not written yet
	Station  string
	Start    int64  // Unix seconds
	Group    string // mode group
	PropMode string
	SatName  string
	// Key is the key of the QSO's record from the importing source, "" if
	// it has none yet. The other sources' keys do not matter to an import.
	Key string
}

// NewEntry returns the entry of a QSO created from record q (key key). The
// strings are cloned: they may point into the ADIF record the QSO was
// parsed from, which the entry would keep alive.
func NewEntry(q *awardtracker.QSO, key string) *Entry {
	return &Entry{Station: strings.Clone(q.StationCallsign), Start: q.Start.Unix(), Group: InternGroup(string(q.ModeGroup)),
		PropMode: strings.Clone(q.PropMode), SatName: strings.Clone(q.SatName), Key: key}
}

// Link records in a stored QSO's entry what merging q (key) into it fills,
// before the storage writes it: the records that follow see it at once.
func (e *Entry) Link(q *awardtracker.QSO, key string) {
	if e.Station == "" && q.StationCallsign != "" {
		e.Station = strings.Clone(q.StationCallsign)
	}
	if e.PropMode == "" && q.PropMode != "" {
		e.PropMode = strings.Clone(q.PropMode)
	}
	if e.SatName == "" && q.SatName != "" {
		e.SatName = strings.Clone(q.SatName)
	}
	if e.Key == "" {
		e.Key = key
	}
}

// Index groups a user's QSOs by call and band, which both rules need equal.
type Index map[string][]*Entry

func indexKey(call, band string) string { return call + "\x00" + band }

// Add puts e into the index under its QSO's call and band.
func (idx Index) Add(e *Entry, call, band string) {
	k := indexKey(call, band)
	idx[k] = append(idx[k], e)
}

// InternGroup shares the three mode group strings between entries instead
// of keeping one copy per QSO.
func InternGroup(g string) string {
	for _, c := range [...]awardtracker.ModeGroup{awardtracker.ModeGroupCW, awardtracker.ModeGroupPhone, awardtracker.ModeGroupData} {
		if g == string(c) {
			return string(c)
		}
	}
	return g
}

// Find returns the QSO that the record q (with key k, normalised) belongs
// to, and whether it is a duplicate of the QSO's record from the same
// source; nil if it belongs to none and is a new QSO.
func (idx Index) Find(q *awardtracker.QSO, k awardtracker.RecordKey) (e *Entry, duplicate bool) {
	start := q.Start.Unix()
	window := int64(awardtracker.MatchWindow / time.Second)
	var best *Entry
	var bestD int64
	for _, c := range idx[indexKey(k.Call, k.Band)] {
		d := c.Start - start
		if d < 0 {
			d = -d
		}
		if c.Key != "" {
			// Linked to a record of this source already: the same record
			// again, or not this QSO (one to one). A record is linked to
			// a QSO within the window of its start (or created it), and
			// a duplicate starts in the same minute as that record: a QSO
			// further away cannot hold it, and its key is not parsed
			// (with thousands of QSOs with one partner on one band, the
			// parsing made an import quadratic in allocations).
			if d > window+60 {
				continue
			}
			if stored, ok := ParseKey(c.Key); ok && k.Duplicate(stored) {
				return c, true
			}
			continue
		}
		// Both upper case: stored so, and q normalised by the import.
		if c.Station != "" && q.StationCallsign != "" && c.Station != q.StationCallsign {
			continue
		}
		if c.Group != string(q.ModeGroup) || !awardtracker.SameSatellite(c.PropMode, c.SatName, q.PropMode, q.SatName) {
			continue
		}
		if d > window {
			continue
		}
		// Closest first; a tie goes to the earlier QSO, and between two
		// that started together, to the one stored first.
		if best == nil || d < bestD || (d == bestD && (c.Start < best.Start || c.Start == best.Start && storedBefore(c, best))) {
			best, bestD = c, d
		}
	}
	return best, false
}

// storedBefore says whether a's QSO was stored before b's: by id, and a QSO
// this import has not written yet (id 0) after every stored one. Two of
// those are in the index in record order, which the caller keeps. Without
// it a tie would go to whichever the index lists first, that is to the
// order the storage read the QSOs in, which its query plan decides (an
// index added to SQLite changed it, and an exported log imported back
// matched seven of K5DRU's 2,899 records to a twin QSO).
func storedBefore(a, b *Entry) bool {
	return a.ID != 0 && (b.ID == 0 || a.ID < b.ID)
}
