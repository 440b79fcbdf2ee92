package adif

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Version is the ADIF version the Writer writes.
const Version = "3.1.6"

// Writer writes an ADI file: a header, then records. Every value is written
// as ASCII (see ASCII), so that a reader counting bytes and one counting
// characters agree on every length. Errors are sticky: after the first
// one, writes do nothing and Flush returns it.
//
// It is written here rather than taken from a library: an ADI field is
// <NAME:length>value, a few lines of code, and the Go ADIF libraries
// (Matir/adifparser, untagged, last changed 2023) neither limit values to
// ASCII nor know the domain's QSO; the reader beside it is ours too.
type Writer struct {
	w   *bufio.Writer
	err error
	buf []byte // reused for one field's text
}

// NewWriter returns a Writer over w, buffered; call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10)}
}

// Header describes an export's header.
type Header struct {
	// Preamble is free text before the first tag (one or more lines); it
	// must not contain '<'.
	Preamble       string
	ProgramID      string
	ProgramVersion string
	Created        time.Time
}

// WriteHeader writes the preamble, ADIF_VER, PROGRAMID, PROGRAMVERSION,
// CREATED_TIMESTAMP and <EOH>. A file must start with a preamble for a
// header to be recognised (ADIF: a header starts with anything but '<').
func (w *Writer) WriteHeader(h Header) error {
	pre := strings.ReplaceAll(ASCII(h.Preamble), "<", "(")
	if pre == "" {
		pre = "ADIF export"
	}
	w.writeString(pre + "\n")
	w.Field("ADIF_VER", Version)
	w.Field("PROGRAMID", h.ProgramID)
	w.Field("PROGRAMVERSION", h.ProgramVersion)
	w.Field("CREATED_TIMESTAMP", h.Created.UTC().Format("20060102 150405"))
	w.writeString("<EOH>\n\n")
	return w.err
}

// Field writes one field, <NAME:length>value followed by a space, with the
// value made ASCII. Empty values are left out: ADIF treats a missing field
// and an empty one alike.
func (w *Writer) Field(name, value string) {
	value = ASCII(value)
	if value == "" || w.err != nil {
		return
	}
	w.buf = append(w.buf[:0], '<')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ':')
	w.buf = strconv.AppendInt(w.buf, int64(len(value)), 10)
	w.buf = append(w.buf, '>')
	w.buf = append(w.buf, value...)
	w.buf = append(w.buf, ' ')
	_, w.err = w.w.Write(w.buf)
}

// EndRecord ends the current record with <EOR> and a line break.
func (w *Writer) EndRecord() error {
	w.writeString("<EOR>\n")
	return w.err
}

// WriteQSO writes q as one record, every field of QSOFields that has a value.
func (w *Writer) WriteQSO(q *awardtracker.QSO) error {
	for _, f := range QSOFields {
		w.Field(f.Name, f.Value(q))
	}
	return w.EndRecord()
}

// Flush writes any buffered data and returns the first error met.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

func (w *Writer) writeString(s string) {
	if w.err == nil {
		_, w.err = w.w.WriteString(s)
	}
}

// QSOField is one ADIF field of an exported QSO: its name and how to get
// its value ("" leaves it out).
type QSOField struct {
	Name  string
	Value func(q *awardtracker.QSO) string
}

// QSOFields maps every QSO field the service stores to its ADIF field, in
// the order they are written. To export a new field, add one line here
// (and read it in ToQSO, so that an export imports back the same).
var QSOFields = []QSOField{
	{"STATION_CALLSIGN", func(q *awardtracker.QSO) string { return q.StationCallsign }},
	{"CALL", func(q *awardtracker.QSO) string { return q.Call }},
	{"QSO_DATE", func(q *awardtracker.QSO) string { return q.Start.UTC().Format("20060102") }},
	{"TIME_ON", func(q *awardtracker.QSO) string { return q.Start.UTC().Format("150405") }},
	{"BAND", func(q *awardtracker.QSO) string { return q.Band }},
	{"FREQ", func(q *awardtracker.QSO) string { return formatFreq(q.FreqMHz) }},
	{"MODE", func(q *awardtracker.QSO) string { return q.Mode }},
	{"SUBMODE", func(q *awardtracker.QSO) string { return q.Submode }},
	// Only when LoTW put the QSO in another group than its mode says (a
	// non-ADIF mode LoTW maps itself): ToQSO honours this LoTW field from
	// any source, so the group survives a round trip.
	{"APP_LoTW_MODEGROUP", func(q *awardtracker.QSO) string {
		if q.ModeGroup == "" || q.ModeGroup == ModeGroupOf(q.Mode, q.Submode) {
			return ""
		}
		return string(q.ModeGroup)
	}},
	{"DXCC", func(q *awardtracker.QSO) string { return formatInt(q.DXCC) }},
	{"COUNTRY", func(q *awardtracker.QSO) string { return q.Country }},
	{"STATE", func(q *awardtracker.QSO) string { return q.State }},
	{"CQZ", func(q *awardtracker.QSO) string { return formatInt(q.CQZone) }},
	{"ITUZ", func(q *awardtracker.QSO) string { return formatInt(q.ITUZone) }},
	{"GRIDSQUARE", func(q *awardtracker.QSO) string { return q.Grid }},
	{"DARC_DOK", func(q *awardtracker.QSO) string { return q.DOK }},
	{"PROP_MODE", func(q *awardtracker.QSO) string { return q.PropMode }},
	{"SAT_NAME", func(q *awardtracker.QSO) string { return q.SatName }},
	{"LOTW_QSL_RCVD", func(q *awardtracker.QSO) string { return yes(q.LoTWConfirmed) }},
	{"LOTW_QSLRDATE", func(q *awardtracker.QSO) string { return formatDate(q.LoTWConfirmed, q.LoTWConfirmedAt) }},
	{"DCL_QSL_RCVD", func(q *awardtracker.QSO) string { return yes(q.DCLConfirmed) }},
	{"DCL_QSLRDATE", func(q *awardtracker.QSO) string { return formatDate(q.DCLConfirmed, q.DCLConfirmedAt) }},
}

// formatFreq writes MHz with as many digits as the value needs to read
// back identically, never in exponent form (ADIF Numbers have none).
func formatFreq(mhz float64) string {
	if mhz <= 0 {
		return ""
	}
	return strconv.FormatFloat(mhz, 'f', -1, 64)
}

func formatInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// formatDate writes an ADIF Date; confirmations keep only their day, the
// precision ADIF's QSLRDATE fields have.
func formatDate(confirmed bool, t *time.Time) string {
	if !confirmed || t == nil {
		return ""
	}
	return t.UTC().Format("20060102")
}

func yes(b bool) string {
	if b {
		return "Y"
	}
	return ""
}

// asciiFold decomposes characters (NFKD) and drops the combining marks, so
// that accented letters keep their base letter: "Tankó" → "Tanko", "Å" → "A".
var asciiFold = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)))

// ASCII returns s as printable ASCII, the character set of ADI fields (ADIF
// 3.1.6 allows other characters only in the _INTL fields of ADX files,
// which this package does not write). Accented letters lose their accents;
// any other character outside ASCII 32-126 (letters of other scripts,
// symbols, control characters) becomes '?', so that the loss is visible.
func ASCII(s string) string {
	if isPrintableASCII(s) {
		return s
	}
	folded, _, err := transform.String(asciiFold, s)
	if err != nil {
		folded = s
	}
	var sb strings.Builder
	sb.Grow(len(folded))
	for _, r := range folded {
		if r >= 32 && r <= 126 {
			sb.WriteByte(byte(r))
		} else {
			sb.WriteByte('?')
		}
	}
	return sb.String()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return false
		}
	}
	return true
}
