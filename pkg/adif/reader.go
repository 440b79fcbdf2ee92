package adif

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits that keep a hostile or broken input from costing more than a
// bounded amount of memory.
const (
	// MaxDataLen is the largest data length a field may declare.
	MaxDataLen = 1 << 20
	// maxFields and maxRecordBytes bound one record, so that a file with
	// no <eor> cannot make the reader hold all of it. ADIF defines fewer
	// than 200 fields; real records have a few dozen.
	maxFields      = 4096
	maxRecordBytes = 8 << 20
	// maxPreamble bounds the free text before the first tag; a longer one
	// is not an ADIF file.
	maxPreamble = 1 << 20
	// maxTagLen bounds the text between '<' and '>'. Real tags are a few
	// dozen bytes; the bound only stops a runaway scan for '>'.
	maxTagLen = 1024
	// bufSize is the bufio buffer; it is also how far the reader can look
	// ahead when it has to decide whether a length counts bytes or runes.
	bufSize = 64 << 10
	// plausibleWindow is how far past a value the reader looks for the next
	// tag before giving up and trusting the byte count.
	plausibleWindow = 64
)

// Kinds of SyntaxError, for errors.Is. Every SyntaxError also matches
// ErrMalformed, so callers can tell bad input from I/O errors with one test.
var (
	ErrMalformed = errors.New("malformed ADIF")
	ErrNotADIF   = errors.New("not ADIF")       // no tag at all, or an HTML/XML page
	ErrTruncated = errors.New("truncated ADIF") // the input ends inside a tag, value, header or record
)

// SyntaxError is a fault in the input, at a byte offset from its start.
type SyntaxError struct {
	Offset int64
	Msg    string
	Kind   error // ErrMalformed, ErrNotADIF or ErrTruncated
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("adif: %s at byte %d", e.Msg, e.Offset)
}

// Unwrap returns the kind, so errors.Is(err, ErrTruncated) works.
func (e *SyntaxError) Unwrap() error { return e.Kind }

// Is makes every SyntaxError match ErrMalformed.
func (e *SyntaxError) Is(target error) bool { return target == ErrMalformed }

// Field is one data specifier, <Name:length:Type>Value.
type Field struct {
	Name  string // as written; compare with strings.EqualFold
	Value string // exactly the declared data, not trimmed
	Type  string // the type indicator, "" if none was given
}

// Record is a header or a QSO record: its fields in file order.
type Record struct {
	fields []Field
}

// Get returns the value of the named field, matched case-insensitively, or ""
// if the record has none. If a field repeats, the first one wins.
func (r Record) Get(name string) string {
	v, _ := r.Lookup(name)
	return v
}

// Lookup is Get that also reports whether the field is present.
func (r Record) Lookup(name string) (string, bool) {
	for i := range r.fields {
		if strings.EqualFold(r.fields[i].Name, name) {
			return r.fields[i].Value, true
		}
	}
	return "", false
}

// Fields returns a copy of the record's fields in file order.
func (r Record) Fields() []Field { return append([]Field(nil), r.fields...) }

// Len returns the number of fields.
func (r Record) Len() int { return len(r.fields) }

// Reader reads an ADI file record by record. It holds at most one record
// (and a 64 KiB buffer) in memory, whatever the size of the input.
type Reader struct {
	br  *bufio.Reader
	off int64 // bytes consumed from br

	started    bool
	hdrErr     error // what Header reported
	err        error // sticky: once set, every call returns it
	preamble   string
	header     Record
	pending    Record // the first record, read while looking for <eoh>
	hasPending bool
	sawEOF     bool
	sawTag     bool  // an ADIF tag has been read, not only text
	peekErr    error // a read error met while looking ahead, reported by the next read

	// The record being read: names, types and values back to back in arena,
	// located by spans, so that a record costs one string and one slice.
	arena    []byte
	spans    []span
	recStart int64
}

type span struct{ name, typ, value [2]int }

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(&stickyReader{r: r}, bufSize)}
}

// stickyReader returns a read error again on every later read. bufio hands
// an error to one caller only, and the Reader looks ahead (Peek) before it
// knows whether it needs the bytes that failed; repeating the error keeps it
// from being lost when the bytes it had were enough.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// Preamble returns the free text before the first tag, such as LoTW's
// "ARRL Logbook of the World Status Report ...". It is set by Header.
func (r *Reader) Preamble() string { return r.preamble }

// SawEOFMarker reports whether LoTW's length-less <APP_LoTW_EOF> tag has been
// read. LoTW writes it last, so a report without it was cut off.
func (r *Reader) SawEOFMarker() bool { return r.sawEOF }

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// Header reads the preamble and the header up to <eoh>. A file without a
// header (its first record's <eor> comes before any <eoh>) has an empty
// header; one whose fields end with <APP_LoTW_EOF> and no <eoh> or <eor>
// (LoTW's empty report) has them as its header and no records. Next calls
// Header itself; later calls return the same result.
func (r *Reader) Header() (Record, error) {
	if !r.started {
		r.started = true
		r.header, r.hdrErr = r.readHeader()
		if r.hdrErr != nil {
			r.err = r.hdrErr
		}
	}
	return r.header, r.hdrErr
}

func (r *Reader) readHeader() (Record, error) {
	var pre []byte
	kind, err := r.nextTag(&pre)
	r.preamble = string(pre)
	if err != nil {
		return Record{}, err
	}
	for {
		switch kind {
		case tagEnd:
			switch {
			case len(r.spans) > 0 && r.sawEOF:
				// LoTW's empty answer to a QSL query: its preamble, a few
				// header fields and <APP_LoTW_EOF>, with no <eoh>. The
				// marker says the report is complete, so the fields are
				// its header and there are no records.
				return r.takeRecord(), nil
			case len(r.spans) > 0:
				return Record{}, r.syntax(r.off, ErrTruncated, "input ends before <eoh> or <eor>")
			case r.sawTag:
				return Record{}, r.syntax(r.off, ErrNotADIF, "no <eoh> and no record found")
			}
			return Record{}, r.syntax(r.off, ErrNotADIF, r.notADIFMessage(pre))
		case tagEOH:
			return r.takeRecord(), nil
		case tagEOR:
			if len(r.spans) > 0 {
				r.pending, r.hasPending = r.takeRecord(), true
			}
			return Record{}, nil
		}
		if kind, err = r.nextTag(nil); err != nil {
			return Record{}, err
		}
	}
}

// notADIFMessage says why an input without a single ADIF tag was refused,
// naming what it looks like when it starts like a web page or XML.
func (r *Reader) notADIFMessage(pre []byte) string {
	head := bytes.TrimLeft(bytes.TrimPrefix(pre, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) > 0 && head[0] == '<' {
		if msg := notADIFTag(head[1:]); msg != "" {
			return msg
		}
	}
	return "no ADIF tag found"
}

// Next returns the next record, or io.EOF after the last one. A record
// without any field (a stray <eor>) is skipped. Once Next has returned an
// error it returns the same error on every later call.
func (r *Reader) Next() (Record, error) {
	if !r.started {
		if _, err := r.Header(); err != nil {
			return Record{}, err
		}
	}
	if r.err != nil {
		return Record{}, r.err
	}
	if r.hasPending {
		r.hasPending = false
		rec := r.pending
		r.pending = Record{}
		return rec, nil
	}
	for {
		kind, err := r.nextTag(nil)
		if err != nil {
			return Record{}, r.fail(err)
		}
		switch kind {
		case tagEnd:
			if len(r.spans) > 0 {
				return Record{}, r.fail(r.syntax(r.recStart, ErrTruncated,
					fmt.Sprintf("input ends inside the record starting here (%d fields, no <eor>)", len(r.spans))))
			}
			if r.isLoTWReport() && !r.sawEOF {
				// LoTW ends every report with the marker; a report cut off
				// between two records is otherwise well-formed.
				return Record{}, r.fail(r.syntax(r.off, ErrTruncated, "the LoTW report ends without <APP_LoTW_EOF>"))
			}
			return Record{}, r.fail(io.EOF)
		case tagEOR:
			if len(r.spans) > 0 {
				return r.takeRecord(), nil
			}
		case tagEOH:
			// A second header: two exports concatenated. What was read since
			// the last <eor> was that header, not a record.
			r.arena, r.spans = r.arena[:0], r.spans[:0]
		}
	}
}

// isLoTWReport tells a LoTW report, which must end with <APP_LoTW_EOF>,
// by its preamble or its PROGRAMID.
func (r *Reader) isLoTWReport() bool {
	return strings.HasPrefix(strings.TrimLeft(r.preamble, " \t\r\n"), lotwPreamble) ||
		strings.EqualFold(strings.TrimSpace(r.header.Get("PROGRAMID")), "LoTW")
}

// lotwPreamble is the first line of every LoTW report.
const lotwPreamble = "ARRL Logbook of the World Status Report"

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

func (r *Reader) syntax(off int64, kind error, msg string) error {
	return &SyntaxError{Offset: off, Msg: msg, Kind: kind}
}

func (r *Reader) ioErr(err error) error {
	return fmt.Errorf("adif: reading at byte %d: %w", r.off, err)
}

// takeRecord turns the fields read so far into a Record and resets the
// arena for the next one.
func (r *Reader) takeRecord() Record {
	s := string(r.arena)
	fields := make([]Field, len(r.spans))
	for i, sp := range r.spans {
		fields[i] = Field{
			Name:  s[sp.name[0]:sp.name[1]],
			Type:  s[sp.typ[0]:sp.typ[1]],
			Value: s[sp.value[0]:sp.value[1]],
		}
	}
	r.arena, r.spans = r.arena[:0], r.spans[:0]
	return Record{fields: fields}
}

// skipToTag consumes input up to and including the next '<', appending the
// text before it to capture if capture is not nil. It reports false at the
// end of the input.
func (r *Reader) skipToTag(capture *[]byte) (bool, error) {
	for {
		b, err := r.br.ReadSlice('<')
		r.off += int64(len(b))
		text := b
		if err == nil {
			text = b[:len(b)-1]
		}
		if capture != nil {
			*capture = append(*capture, text...)
			if len(*capture) > maxPreamble {
				return false, r.syntax(r.off, ErrNotADIF, fmt.Sprintf("no ADIF tag in the first %d bytes", maxPreamble))
			}
		}
		switch err {
		case nil:
			return true, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return false, nil
		}
		return false, r.ioErr(err)
	}
}

type tagKind int

const (
	tagField tagKind = iota // a data specifier, appended to the record being read
	tagEOH
	tagEOR
	tagEOF  // LoTW's <APP_LoTW_EOF>
	tagText // a '<' that does not open a tag: plain text
	tagEnd  // the end of the input
)

// nextTag skips text up to the next tag and reads it, and a data
// specifier's value with it. <APP_LoTW_EOF> is noted and skipped, so it
// returns tagField, tagEOH, tagEOR or tagEnd. Text before the first tag is
// appended to capture if capture is not nil.
func (r *Reader) nextTag(capture *[]byte) (tagKind, error) {
	for {
		found, err := r.skipToTag(capture)
		if err != nil {
			return 0, err
		}
		if !found {
			return tagEnd, nil
		}
		kind, err := r.readTag()
		if err != nil {
			return 0, err
		}
		switch kind {
		case tagText:
			if capture != nil {
				*capture = append(*capture, '<')
			}
			continue
		case tagEOF:
			r.sawEOF, r.sawTag = true, true
			capture = nil
			continue
		}
		r.sawTag = true
		return kind, nil
	}
}

// readTag reads one tag, its '<' already consumed, and for a data specifier
// also its value. Anything but a well-formed <NAME:LENGTH[:TYPE]>, <EOH>,
// <EOR> or <APP_LoTW_EOF> is text (loggers write e-mail addresses in angle
// brackets into their headers, users write "<3" in comments): then only the
// '<' is consumed and tagText returned.
func (r *Reader) readTag() (tagKind, error) {
	start := r.off - 1
	// A read error with the tag already buffered is not lost: the sticky
	// reader returns it again on the next read.
	q, err := r.br.Peek(maxTagLen + 1)
	t := lexTag(q)
	if t.end < 0 && !t.cut {
		return tagText, nil
	}
	if t.end < 0 && err != nil && err != io.EOF {
		return 0, r.ioErr(err)
	}
	if t.end < 0 {
		if len(q) <= maxTagLen && len(q) > 0 && bytes.IndexByte(q[:t.nameEnd], ' ') < 0 {
			// The input ends where a tag was being written: a cut-off file,
			// not text.
			return 0, r.syntax(start, ErrTruncated, fmt.Sprintf("input ends inside the tag <%s", clip(q)))
		}
		return tagText, nil
	}
	end := t.end
	content := q[:end]

	if t.nameEnd == end { // no colon: a length-less tag
		kind := tagText
		switch {
		case equalFoldASCII(content, "EOH"):
			kind = tagEOH
		case equalFoldASCII(content, "EOR"):
			kind = tagEOR
		case equalFoldASCII(content, "APP_LoTW_EOF"):
			kind = tagEOF
		}
		if kind != tagText {
			r.consume(end + 1)
		}
		return kind, nil
	}

	name, lenText, typ := content[:t.nameEnd], content[t.nameEnd+1:t.lenEnd], content[min(t.lenEnd+1, end):]
	n, ok := parseLength(lenText)
	if !ok {
		return 0, r.syntax(start, ErrMalformed, fmt.Sprintf("field %s declares %s bytes, more than the %d allowed",
			clip(name), clip(bytes.TrimLeft(lenText, "0")), MaxDataLen))
	}
	if len(r.spans) >= maxFields {
		return 0, r.syntax(start, ErrMalformed, fmt.Sprintf("record has more than %d fields", maxFields))
	}
	if len(r.arena)+len(name)+len(typ)+n > maxRecordBytes {
		return 0, r.syntax(start, ErrMalformed, fmt.Sprintf("record is larger than %d bytes", maxRecordBytes))
	}
	kind := tagField
	switch {
	case equalFoldASCII(name, "EOH"): // <eoh:0>, written by a few loggers
		kind = tagEOH
	case equalFoldASCII(name, "EOR"):
		kind = tagEOR
	}

	// content points into the bufio buffer, which reading the value may
	// refill, so copy name and type first.
	var sp span
	sp.name[0] = len(r.arena)
	r.arena = append(r.arena, name...)
	sp.name[1] = len(r.arena)
	sp.typ[0] = len(r.arena)
	r.arena = append(r.arena, typ...)
	sp.typ[1] = len(r.arena)
	sp.value[0] = len(r.arena)
	r.consume(end + 1)
	if err := r.readValue(n, start); err != nil {
		return 0, err
	}
	sp.value[1] = len(r.arena)
	if kind != tagField {
		r.arena = r.arena[:sp.name[0]]
		return kind, nil
	}
	if len(r.spans) == 0 {
		r.recStart = start
	}
	r.spans = append(r.spans, sp)
	return tagField, nil
}

// lexed is where the parts of a tag end in the text after its '<'.
type lexed struct {
	end     int  // the closing '>', or -1
	nameEnd int  // the first ':', or end when there is none
	lenEnd  int  // the ':' before the type, or end when there is none
	cut     bool // the text ran out while it could still have been a tag
}

// lexTag reads the text after a '<' in one pass as <NAME>, <NAME:LENGTH> or
// <NAME:LENGTH:TYPE>, applying the ADIF rules on the way: a name has no
// control character, comma, braces or angle brackets and does not start or
// end with a space; a length is digits; a type is letters (one in the
// specification; more or none are tolerated as harmless). It stops at the
// first byte that breaks them, so the scans from successive '<' never
// overlap and input full of '<' costs linear time. end < 0 means text
// (or, with cut, possibly a tag cut off where q ends).
func lexTag(q []byte) lexed {
	t := lexed{end: -1, nameEnd: -1, lenEnd: -1}
	text := lexed{end: -1}
	for i, c := range q {
		switch {
		case t.nameEnd < 0: // in the name
			switch {
			case c == '>':
				t.end, t.nameEnd, t.lenEnd = i, i, i
				return t
			case c == ':':
				if i == 0 || q[0] == ' ' || q[i-1] == ' ' {
					return text
				}
				t.nameEnd = i
			case c < 0x20 || c == 0x7f || c == ',' || c == '{' || c == '}' || c == '<':
				return text
			}
		case t.lenEnd < 0: // in the length
			switch {
			case '0' <= c && c <= '9':
			case (c == '>' || c == ':') && i > t.nameEnd+1:
				t.lenEnd = i
				if c == '>' {
					t.end = i
					return t
				}
			default:
				return text
			}
		default: // in the type
			switch {
			case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z':
			case c == '>':
				t.end = i
				return t
			default:
				return text
			}
		}
	}
	if t.nameEnd < 0 {
		t.nameEnd = len(q)
	}
	t.cut = true
	return t
}

// consume discards n bytes that have been peeked at.
func (r *Reader) consume(n int) {
	d, _ := r.br.Discard(n)
	r.off += int64(d)
}

// readValue appends a value of declared length n to the arena. n counts
// bytes, except that when those bytes are not followed by the next tag and n
// characters are, it counts characters (spec §3.2: both conventions exist).
func (r *Reader) readValue(n int, tagStart int64) error {
	if n == 0 {
		return nil
	}
	p, err := r.br.Peek(n)
	if len(p) < n {
		switch err {
		case bufio.ErrBufferFull:
			return r.readLongValue(n, tagStart)
		case io.EOF:
			return r.syntax(tagStart, ErrTruncated, "input ends inside the value of this field")
		}
		return r.ioErr(err)
	}
	end := n
	if !isASCII(p) { // for ASCII, bytes and characters agree
		if !r.nextIsTag(n) {
			if e, ok := r.runeEnd(n); ok && e != n && r.nextIsTag(e) {
				end = e
			}
		}
		if r.peekErr != nil {
			return r.ioErr(r.peekErr)
		}
		p, _ = r.br.Peek(end) // looking ahead may have moved the buffer
	}
	r.arena = append(r.arena, p[:end]...)
	d, _ := r.br.Discard(end)
	r.off += int64(d)
	return nil
}

// readLongValue reads a value larger than the look-ahead buffer, counting
// bytes only: such values are rare, and the buffer cannot see past them.
func (r *Reader) readLongValue(n int, tagStart int64) error {
	at := len(r.arena)
	r.arena = append(r.arena, make([]byte, n)...)
	got, err := io.ReadFull(r.br, r.arena[at:])
	r.off += int64(got)
	switch err {
	case nil:
		return nil
	case io.EOF, io.ErrUnexpectedEOF:
		r.arena = r.arena[:at]
		return r.syntax(tagStart, ErrTruncated, "input ends inside the value of this field")
	}
	r.arena = r.arena[:at]
	return r.ioErr(err)
}

// nextIsTag reports whether, after skipping i bytes of the unread input and
// then white space, the next thing is a tag, a LoTW " // comment" or the end
// of the input. It also says yes when it cannot tell (only white space
// within its window), so that the byte count stands.
func (r *Reader) nextIsTag(i int) bool {
	q := r.peek(min(i+plausibleWindow, bufSize))
	for ; i < len(q); i++ {
		switch q[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case '<':
			return true
		case '/':
			return i+1 < len(q) && q[i+1] == '/'
		}
		return false
	}
	return true // the end of the input, or only white space in the window
}

// peek looks ahead without consuming. bufio hands a read error to one
// caller only, so peek keeps it for readValue to report.
func (r *Reader) peek(n int) []byte {
	q, err := r.br.Peek(n)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull && r.peekErr == nil {
		r.peekErr = err
	}
	return q
}

// runeEnd returns the byte length of the first n UTF-8 characters of the
// unread input, if the look-ahead buffer holds that many.
func (r *Reader) runeEnd(n int) (int, bool) {
	q := r.peek(min(n*utf8.UTFMax, bufSize))
	i := 0
	for c := 0; c < n; c++ {
		if i >= len(q) {
			return 0, false
		}
		if q[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, w := utf8.DecodeRune(q[i:])
		i += w
	}
	return i, true
}

// notADIFTag recognises, from what follows its first '<', a document that
// is not ADIF, such as LoTW's HTML login page, to say so in the error.
func notADIFTag(content []byte) string {
	if len(content) == 0 {
		return ""
	}
	switch content[0] {
	case '?':
		return "the input is XML (ADX is not supported)"
	case '!', '/':
		return "the input is an HTML page"
	}
	if len(content) >= 4 && equalFoldASCII(content[:4], "html") && (len(content) == 4 || content[4] == ' ' || content[4] == '>') {
		return "the input is an HTML page"
	}
	return ""
}

// parseLength parses a data length of ASCII digits (leading zeros allowed),
// reporting false for one over MaxDataLen, however many digits it has.
func parseLength(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
		if n > MaxDataLen {
			return 0, false
		}
	}
	return n, true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		d := s[i]
		if 'a' <= d && d <= 'z' {
			d -= 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// clip shortens tag text quoted in an error message.
func clip(b []byte) string {
	const max = 40
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "?") + "..."
	}
	return strings.ToValidUTF8(string(b), "?")
}
