package adif

import (
	"errors"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// ToQSO turns a record into a normalised QSO from source src. A record it
// cannot use (no CALL, a bad date or time, no band, an unknown mode) yields
// an EINVALID *awardtracker.Error whose message names the field.
//
// Confirmations depend on where the record came from, not only on field
// names: LoTW reports its own confirmations in the generic QSL_RCVD and
// QSLRDATE, while in a logger's export QSL_RCVD means a paper card and
// LOTW_QSL_RCVD the LoTW match. DCL confirmations count from any source.
func ToQSO(rec Record, src awardtracker.Source) (awardtracker.QSO, error) {
	q := awardtracker.QSO{Source: src}

	q.Call = upper(rec.Get("CALL"))
	if q.Call == "" {
		return awardtracker.QSO{}, invalid("missing CALL")
	}
	q.StationCallsign = upper(rec.Get("STATION_CALLSIGN"))

	start, err := qsoStart(rec.Get("QSO_DATE"), rec.Get("TIME_ON"))
	if err != nil {
		return awardtracker.QSO{}, err
	}
	q.Start = start
	q.StartSeconds = len(strings.TrimSpace(rec.Get("TIME_ON"))) == 6

	if f, ok := parseFreq(rec.Get("FREQ")); ok {
		q.FreqMHz = f
	}
	band := strings.TrimSpace(rec.Get("BAND"))
	var ok bool
	if q.Band, ok = NormalizeBand(band); !ok {
		// A logger's odd BAND is no reason to drop a QSO whose FREQ is fine.
		if q.Band, ok = BandForFreq(q.FreqMHz); !ok {
			return awardtracker.QSO{}, bandError(band, rec.Get("FREQ"))
		}
	}

	mode, sub := rec.Get("MODE"), rec.Get("SUBMODE")
	if q.Mode, q.Submode, ok = NormalizeMode(mode, sub); !ok {
		return awardtracker.QSO{}, modeError(mode, sub)
	}
	q.ModeGroup = ModeGroupOf(q.Mode, q.Submode)
	switch upper(rec.Get("APP_LoTW_MODEGROUP")) {
	case "CW":
		q.ModeGroup = awardtracker.ModeGroupCW
	case "PHONE":
		q.ModeGroup = awardtracker.ModeGroupPhone
	case "DATA", "IMAGE":
		q.ModeGroup = awardtracker.ModeGroupData
	}

	if n, ok := parseInt(rec.Get("DXCC")); ok {
		if _, known := DXCCEntity(n); known {
			q.DXCC = n
		}
	}
	q.Country = strings.TrimSpace(rec.Get("COUNTRY"))
	q.State = upper(rec.Get("STATE"))
	if n, ok := parseInt(rec.Get("CQZ")); ok && n >= 1 && n <= 40 {
		q.CQZone = n
	}
	if n, ok := parseInt(rec.Get("ITUZ")); ok && n >= 1 && n <= 90 {
		q.ITUZone = n
	}
	q.Grid = upper(rec.Get("GRIDSQUARE"))
	q.DOK = upper(rec.Get("DARC_DOK"))
	// Kept as written (upper-cased): a PROP_MODE outside the enumeration
	// (Cloudlog 0.1 wrote "Satellit") is no reason to drop the QSO, and
	// matching compares it only with other records.
	q.PropMode = upper(rec.Get("PROP_MODE"))
	q.SatName = upper(rec.Get("SAT_NAME"))

	if src == awardtracker.SourceLoTW {
		if isYes(rec.Get("QSL_RCVD")) {
			q.LoTWConfirmed = true
			q.LoTWConfirmedAt = parseDate(rec.Get("QSLRDATE"))
			if q.LoTWConfirmedAt == nil {
				q.LoTWConfirmedAt = parseLoTWTime(rec.Get("APP_LoTW_RXQSL"))
			}
		}
	} else if isYes(rec.Get("LOTW_QSL_RCVD")) {
		q.LoTWConfirmed = true
		q.LoTWConfirmedAt = parseDate(rec.Get("LOTW_QSLRDATE"))
	}
	if isYes(rec.Get("DCL_QSL_RCVD")) || dclStatusConfirmed(rec.Get("APP_DCL_STATUS")) {
		q.DCLConfirmed = true
		q.DCLConfirmedAt = parseDate(rec.Get("DCL_QSLRDATE"))
	}
	return q, nil
}

// Records streams the records of an ADI input as import records, numbered
// from 1, each holding a QSO or the reason it was rejected. If the input
// cannot be read on (it is not ADIF, is malformed or cut off) it yields one
// final non-nil error, an *awardtracker.Error, and stops: EINVALID for bad
// input, ETOOLARGE when an http.MaxBytesReader gave up, EUNAVAILABLE for
// other read errors. A header with no records yields nothing.
func Records(r io.Reader, src awardtracker.Source) iter.Seq2[awardtracker.ImportRecord, error] {
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		ar := NewReader(r)
		for i := 1; ; i++ {
			rec, err := ar.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(awardtracker.ImportRecord{Index: i}, fatal(err, i))
				return
			}
			q, err := ToQSO(rec, src)
			if !yield(awardtracker.ImportRecord{Index: i, QSO: q, Err: err}, nil) {
				return
			}
		}
	}
}

// fatal turns a Reader error met while reading record i into a domain error.
func fatal(err error, i int) error {
	var (
		se  *SyntaxError
		mbe *http.MaxBytesError
		de  *awardtracker.Error
	)
	switch {
	case errors.As(err, &se) && errors.Is(err, ErrNotADIF):
		return awardtracker.WrapError(awardtracker.EINVALID, "not an ADIF file: "+se.Msg, err)
	case errors.As(err, &se) && errors.Is(err, ErrTruncated):
		return awardtracker.WrapError(awardtracker.EINVALID,
			"the ADIF input is cut off in record "+strconv.Itoa(i)+": "+se.Msg+" at byte "+strconv.FormatInt(se.Offset, 10), err)
	case errors.As(err, &se):
		return awardtracker.WrapError(awardtracker.EINVALID,
			"malformed ADIF in record "+strconv.Itoa(i)+": "+se.Msg+" at byte "+strconv.FormatInt(se.Offset, 10), err)
	case errors.As(err, &mbe):
		return awardtracker.WrapError(awardtracker.ETOOLARGE, "ADIF input is larger than "+strconv.FormatInt(mbe.Limit, 10)+" bytes", err)
	case errors.As(err, &de):
		return de
	}
	return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "reading the ADIF input failed", err)
}

func invalid(msg string) error { return awardtracker.Errorf(awardtracker.EINVALID, "%s", msg) }

// qsoStart combines QSO_DATE (YYYYMMDD) and TIME_ON (HHMM or HHMMSS) into a
// UTC time.
func qsoStart(date, tm string) (time.Time, error) {
	date, tm = strings.TrimSpace(date), strings.TrimSpace(tm)
	switch {
	case date == "":
		return time.Time{}, invalid("missing QSO_DATE")
	case tm == "":
		return time.Time{}, invalid("missing TIME_ON")
	}
	d := parseDate(date)
	if d == nil {
		return time.Time{}, awardtracker.Errorf(awardtracker.EINVALID, "bad QSO_DATE %q", date)
	}
	if (len(tm) != 4 && len(tm) != 6) || !digits(tm) {
		return time.Time{}, awardtracker.Errorf(awardtracker.EINVALID, "bad TIME_ON %q", tm)
	}
	h, m := atoi2(tm[0:2]), atoi2(tm[2:4])
	s := 0
	if len(tm) == 6 {
		s = atoi2(tm[4:6])
	}
	if h > 23 || m > 59 || s > 59 {
		return time.Time{}, awardtracker.Errorf(awardtracker.EINVALID, "bad TIME_ON %q", tm)
	}
	return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second), nil
}

// parseDate parses an ADIF date, YYYYMMDD with a year from 1930, as UTC
// midnight; nil if it is not one.
func parseDate(s string) *time.Time {
	s = strings.TrimSpace(s)
	if len(s) != 8 || !digits(s) {
		return nil
	}
	t, err := time.Parse("20060102", s)
	if err != nil || t.Year() < 1930 {
		return nil
	}
	return &t
}

// parseLoTWTime parses LoTW's "YYYY-MM-DD HH:MM:SS" (UTC).
func parseLoTWTime(s string) *time.Time {
	t, err := time.Parse(time.DateTime, strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &t
}

// parseFreq parses an ADIF Number in MHz: decimal, '.' as the separator.
func parseFreq(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "eExXpPnN_+") { // no exponents, hex, NaN, Inf
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	return f, true
}

func parseInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 9 || !digits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func bandError(band, freq string) error {
	freq = strings.TrimSpace(freq)
	switch {
	case band != "":
		return awardtracker.Errorf(awardtracker.EINVALID, "unknown band %q", band)
	case freq != "":
		return awardtracker.Errorf(awardtracker.EINVALID, "missing BAND, and FREQ %q is in no band", freq)
	}
	return invalid("missing BAND and FREQ")
}

func modeError(mode, sub string) error {
	mode, sub = strings.TrimSpace(mode), strings.TrimSpace(sub)
	switch {
	case mode == "" && sub == "":
		return invalid("missing MODE")
	case sub != "":
		if _, _, ok := NormalizeMode(mode, ""); ok || mode == "" {
			return awardtracker.Errorf(awardtracker.EINVALID, "unknown submode %q", sub)
		}
	}
	return awardtracker.Errorf(awardtracker.EINVALID, "unknown mode %q", mode)
}

// isYes reads a QSL received status: Y (yes) or V (verified, import-only).
func isYes(s string) bool {
	s = strings.TrimSpace(s)
	return strings.EqualFold(s, "Y") || strings.EqualFold(s, "V")
}

// dclStatusConfirmed reads the APP_DCL_STATUS letter of DCL's export (spec
// §2.5): c (by LoTW, Clublog, eQSL or a contest), m, n, o (by an award
// manager) and i (by cross-check of DCL data) are confirmations; w (pending)
// and x (unconfirmed) are not.
func dclStatusConfirmed(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "c", "m", "n", "o", "i":
		return true
	}
	return false
}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
