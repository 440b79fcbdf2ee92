package adif

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
)

// readAll reads a whole input; recs holds the records read before err.
func readAll(t testing.TB, r io.Reader) (ar *Reader, hdr Record, recs []Record, err error) {
	t.Helper()
	ar = NewReader(r)
	hdr, err = ar.Header()
	if err != nil {
		return ar, hdr, nil, err
	}
	for {
		rec, err := ar.Next()
		if err == io.EOF {
			return ar, hdr, recs, nil
		}
		if err != nil {
			return ar, hdr, recs, err
		}
		recs = append(recs, rec)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := adiftest.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReader_LoTWReport(t *testing.T) {
	data := readFile(t, "lotw-report.adi")
	ar, hdr, recs, err := readAll(t, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ar.Preamble(), "ARRL Logbook of the World Status Report\n") {
		t.Errorf("Preamble() = %q", ar.Preamble())
	}
	for name, want := range map[string]string{
		"PROGRAMID":        "LoTW",
		"app_lotw_numrec":  "6",
		"APP_LOTW_LASTQSL": "2025-09-20 01:39:22",
	} {
		if got := hdr.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if hdr.Len() != 3 {
		t.Errorf("header has %d fields, want 3", hdr.Len())
	}
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	first := recs[0]
	for name, want := range map[string]string{
		"CALL":           "UA98GDU",
		"call":           "UA98GDU",
		"BAND":           "6M",
		"SUBMODE":        "FT4",
		"DXCC":           "15", // " // Asiatic Russia" is a comment outside the length
		"APP_LoTW_RXQSL": "2025-09-20 01:39:22",
		"STATE":          "",
	} {
		if got := first.Get(name); got != want {
			t.Errorf("record 1 %s = %q, want %q", name, got, want)
		}
	}
	if got := recs[3].Get("STATE"); got != "VA" {
		t.Errorf("record 4 STATE = %q, want %q", got, "VA")
	}
	if f := first.Fields(); f[0].Name != "APP_LoTW_OWNCALL" || f[0].Value != "N0CALL" || f[0].Type != "" {
		t.Errorf("record 1 first field = %+v", f[0])
	}
	if !ar.SawEOFMarker() {
		t.Error("SawEOFMarker() = false, want true")
	}
	if got := ar.Offset(); got != int64(len(data)) {
		t.Errorf("Offset() = %d, want %d", got, len(data))
	}
	if _, err := ar.Next(); err != io.EOF {
		t.Errorf("Next() after the end = %v, want io.EOF", err)
	}
	if h, err := ar.Header(); err != nil || h.Get("PROGRAMID") != "LoTW" {
		t.Errorf("Header() after the end = %v, %v", h.Fields(), err)
	}
}

func TestReader_LoTWReportEmpty(t *testing.T) {
	ar, hdr, recs, err := readAll(t, bytes.NewReader(readFile(t, "lotw-report-empty.adi")))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 || hdr.Get("APP_LoTW_NUMREC") != "0" || !ar.SawEOFMarker() {
		t.Errorf("got %d records, NUMREC %q, EOF marker %v; want 0, 0, true",
			len(recs), hdr.Get("APP_LoTW_NUMREC"), ar.SawEOFMarker())
	}
	if _, ok := hdr.Lookup("APP_LoTW_LASTQSL"); ok {
		t.Error("empty report has APP_LoTW_LASTQSL")
	}
}

func TestReader_LoTWReportTruncated(t *testing.T) {
	data := readFile(t, "lotw-report-truncated.adi")
	ar, hdr, recs, err := readAll(t, bytes.NewReader(data))
	if len(recs) != 3 || hdr.Get("APP_LoTW_NUMREC") != "6" {
		t.Errorf("got %d records, NUMREC %q; want 3 and 6", len(recs), hdr.Get("APP_LoTW_NUMREC"))
	}
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != int64(bytes.LastIndexByte(data, '<')) {
		t.Errorf("err = %#v, want a SyntaxError at the cut tag (byte %d)", err, bytes.LastIndexByte(data, '<'))
	}
	if !strings.Contains(err.Error(), "APP_LoTW_QSO_TIMESTAM") {
		t.Errorf("err = %q, want the cut tag named", err)
	}
	if ar.SawEOFMarker() {
		t.Error("SawEOFMarker() = true on a truncated report")
	}
	if _, err2 := ar.Next(); err2 != err {
		t.Errorf("Next() after an error = %v, want the same error %v", err2, err)
	}
}

func TestReader_OwnLogAndDCL(t *testing.T) {
	for _, tc := range []struct {
		file     string
		preamble string
		version  string
		n        int
	}{
		{"own-log.adi", "Own log exported by a desktop logger\n", "3.1.4", 12},
		{"dcl-export.adi", "", "3.1.5", 9}, // starts with '<' yet has a header
	} {
		t.Run(tc.file, func(t *testing.T) {
			ar, hdr, recs, err := readAll(t, bytes.NewReader(readFile(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if ar.Preamble() != tc.preamble || hdr.Get("ADIF_VER") != tc.version || len(recs) != tc.n {
				t.Errorf("got preamble %q, ADIF_VER %q, %d records; want %q, %q, %d",
					ar.Preamble(), hdr.Get("ADIF_VER"), len(recs), tc.preamble, tc.version, tc.n)
			}
			for i, rec := range recs {
				if rec.Get("CALL") == "" || rec.Get("STATION_CALLSIGN") != "N0CALL" {
					t.Errorf("record %d = %v", i+1, rec.Fields())
				}
			}
			if ar.SawEOFMarker() {
				t.Error("SawEOFMarker() = true without the marker")
			}
		})
	}
}

func TestReader_NotADIF(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"LoTW bad login", string(readFile(t, "lotw-bad-login.html"))},
		{"LoTW rate limit", string(readFile(t, "lotw-rate-limited.html"))},
		{"HTML upper case", "<HTML><BODY>x</BODY></HTML>"},
		{"HTML with attributes", `<html lang="en"><body>x</body></html>`},
		{"ADX", `<?xml version="1.0"?><ADX></ADX>`},
		{"plain text", "Service unavailable, try later\n"},
		{"empty", ""},
		{"only a bare tag", "text <APP_LoTW_EOF>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, recs, err := readAll(t, strings.NewReader(tc.in))
			if !errors.Is(err, ErrNotADIF) || !errors.Is(err, ErrMalformed) || len(recs) != 0 {
				t.Errorf("got %d records, err %v; want ErrNotADIF", len(recs), err)
			}
		})
	}
}

func TestReader_Syntax(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		preamble string
		header   []Field
		recs     [][]Field
		sawEOF   bool
	}{{
		name: "no header",
		in:   "<CALL:4>K1AB<QSO_DATE:8>20240101<eor>",
		recs: [][]Field{{{"CALL", "K1AB", ""}, {"QSO_DATE", "20240101", ""}}},
	}, {
		name:     "text but no eoh",
		in:       "exported\n<CALL:4>K1AB<eor>",
		preamble: "exported\n",
		recs:     [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name:   "eoh without preamble",
		in:     "<eoh><CALL:4>K1AB<eor>",
		header: []Field{},
		recs:   [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name:   "mixed-case tags",
		in:     "<AdIf_VeR:5>3.1.6<EoH><CaLl:4>K1AB<eOr>",
		header: []Field{{"AdIf_VeR", "3.1.6", ""}},
		recs:   [][]Field{{{"CaLl", "K1AB", ""}}},
	}, {
		name: "type indicators",
		in:   "<FREQ:6:N>14.074<QSO_DATE:8:d>20240101<APP_X_Y:3:S>abc<eor>",
		recs: [][]Field{{{"FREQ", "14.074", "N"}, {"QSO_DATE", "20240101", "d"}, {"APP_X_Y", "abc", "S"}}},
	}, {
		name: "text and comments between fields",
		in:   "<CALL:4>K1AB // a comment\n  junk > here\r\n<BAND:3>20M<eor>\n\n",
		recs: [][]Field{{{"CALL", "K1AB", ""}, {"BAND", "20M", ""}}},
	}, {
		name: "angle brackets inside a value",
		in:   "<COMMENT:11>a<b>c<d:1>e<CALL:4>K1AB<eor>",
		recs: [][]Field{{{"COMMENT", "a<b>c<d:1>e", ""}, {"CALL", "K1AB", ""}}},
	}, {
		name: "value not trimmed",
		in:   "<NAME:7> Jo\r\nB <eor>",
		recs: [][]Field{{{"NAME", " Jo\r\nB ", ""}}},
	}, {
		name: "empty value and leading zeros",
		in:   "<NOTES:0><CALL:004>K1AB<eor>",
		recs: [][]Field{{{"NOTES", "", ""}, {"CALL", "K1AB", ""}}},
	}, {
		name:   "length-less unknown tags",
		in:     "<PROGRAMID:1>X<FOO><eoh><CALL:4>K1AB<BAR_2><eor><APP_LoTW_EOF>",
		header: []Field{{"PROGRAMID", "X", ""}},
		recs:   [][]Field{{{"CALL", "K1AB", ""}}},
		sawEOF: true,
	}, {
		name:   "eoh and eor with a length",
		in:     "<eoh:0><CALL:4>K1AB<EOR:0>",
		header: []Field{},
		recs:   [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name: "stray eor",
		in:   "<eoh><eor><CALL:4>K1AB<eor>\n<eor>",
		recs: [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name:   "two exports concatenated",
		in:     "<ADIF_VER:1>3<eoh><CALL:4>K1AB<eor>\nlog 2\n<ADIF_VER:1>3<eoh><CALL:4>K2CD<eor>",
		header: []Field{{"ADIF_VER", "3", ""}},
		recs:   [][]Field{{{"CALL", "K1AB", ""}}, {{"CALL", "K2CD", ""}}},
	}, {
		name: "UTF-8 length in bytes",
		in:   "<NAME:6>Jorgé<CALL:4>K1AB<eor>",
		recs: [][]Field{{{"NAME", "Jorgé", ""}, {"CALL", "K1AB", ""}}},
	}, {
		name: "UTF-8 length in characters",
		in:   "<NAME:5>Jorgé<CALL:4>K1AB<eor>",
		recs: [][]Field{{{"NAME", "Jorgé", ""}, {"CALL", "K1AB", ""}}},
	}, {
		name: "UTF-8 length in characters, then space",
		in:   "<QTH:6>Zürich <NAME:4>Jörg\n<eor>",
		recs: [][]Field{{{"QTH", "Zürich", ""}, {"NAME", "Jörg", ""}}},
	}, {
		name: "UTF-8 length in characters, three-byte runes",
		in:   "<QTH:3>東京都<eor>",
		recs: [][]Field{{{"QTH", "東京都", ""}}},
	}, {
		name: "UTF-8 length in characters before a comment",
		in:   "<NAME:5>Jorgé // José\n<eor>",
		recs: [][]Field{{{"NAME", "Jorgé", ""}}},
	}, {
		name: "UTF-8 length in bytes before a comment",
		in:   "<NAME:6>Jorgé // José\n<eor>",
		recs: [][]Field{{{"NAME", "Jorgé", ""}}},
	}, {
		name: "UTF-8 length in characters at the end of the record",
		in:   "<CALL:4>K1AB<NAME:5>Jorgé<eor>",
		recs: [][]Field{{{"CALL", "K1AB", ""}, {"NAME", "Jorgé", ""}}},
	}, {
		name: "ISO-8859-1 byte kept as is",
		in:   "<NAME:5>Jorg\xe9<eor>",
		recs: [][]Field{{{"NAME", "Jorg\xe9", ""}}},
	}, {
		name:     "e-mail addresses in the header (Xlog)",
		in:       "ADIF Export from xlog\nCopyright (C) 2012 Andy Stewart <andystewart@comcast.net>\n<ADIF_VER:5>2.2.7\n<EOH>\n<CALL:5>W6NEV <EOR>",
		preamble: "ADIF Export from xlog\nCopyright (C) 2012 Andy Stewart <andystewart@comcast.net>\n",
		header:   []Field{{"ADIF_VER", "2.2.7", ""}},
		recs:     [][]Field{{{"CALL", "W6NEV", ""}}},
	}, {
		name:     "a URL with a colon in angle brackets",
		in:       "Log from <see https://x.y/z>\n<eoh><CALL:4>K1AB<eor>",
		preamble: "Log from <see https://x.y/z>\n",
		header:   []Field{},
		recs:     [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name: "a heart between records and between fields",
		in:   "<eoh><CALL:4>K1AB<eor>\n# <3 this contact\n<CALL:4>K2CD <3 <BAND:3>20m<eor>\n# <3 this too",
		recs: [][]Field{{{"CALL", "K1AB", ""}}, {{"CALL", "K2CD", ""}, {"BAND", "20m", ""}}},
	}, {
		name:     "a lone angle bracket at the end",
		in:       "1 < 2\n<CALL:4>K1AB<eor>\n<",
		preamble: "1 < 2\n",
		recs:     [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name:     "HTML before the header and after the records",
		in:       "<html><b>my log</b>\n<eoh><CALL:4>K1AB<eor></b></html>",
		preamble: "<html><b>my log</b>\n",
		header:   []Field{},
		recs:     [][]Field{{{"CALL", "K1AB", ""}}},
	}, {
		name: "tags that are not well-formed are text",
		in: "<eoh><CALL:x>K1<CALL:>K2<CALL:-4>K3<CALL: 4>K4<:4>K5<CALL:4<A:1>b<a href=x><FOO:1:N:X>y<EOHX>" +
			"<CALL" + strings.Repeat("x", 2000) + "><CALL:4>K1AB<eor>",
		header: []Field{},
		recs:   [][]Field{{{"A", "b", ""}, {"CALL", "K1AB", ""}}},
	}, {
		name:     "LoTW's empty report without <eoh> (QSL ONLY: YES)",
		in:       lotwPreamble + "\nGenerated at 2022-12-05 12:20:18\n\n<PROGRAMID:4>LoTW\n<APP_LoTW_EOF>\n\n",
		preamble: lotwPreamble + "\nGenerated at 2022-12-05 12:20:18\n\n",
		header:   []Field{{"PROGRAMID", "LoTW", ""}},
		sawEOF:   true,
	}, {
		name: "byte length that ends mid-text is kept",
		in:   "<NAME:3>Jorge<eor>", // ASCII: no other reading exists
		recs: [][]Field{{{"NAME", "Jor", ""}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ar, hdr, recs, err := readAll(t, strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if ar.Preamble() != tc.preamble {
				t.Errorf("Preamble() = %q, want %q", ar.Preamble(), tc.preamble)
			}
			if !equalFields(hdr.Fields(), tc.header) {
				t.Errorf("header = %q, want %q", hdr.Fields(), tc.header)
			}
			if len(recs) != len(tc.recs) {
				t.Fatalf("%d records, want %d", len(recs), len(tc.recs))
			}
			for i := range recs {
				if !equalFields(recs[i].Fields(), tc.recs[i]) {
					t.Errorf("record %d = %q, want %q", i+1, recs[i].Fields(), tc.recs[i])
				}
			}
			if ar.SawEOFMarker() != tc.sawEOF {
				t.Errorf("SawEOFMarker() = %v, want %v", ar.SawEOFMarker(), tc.sawEOF)
			}
		})
	}
}

func equalFields(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReader_Errors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		kind   error
		offset int64
		msg    string
		nrecs  int
	}{
		{"value cut off", "<eoh><CALL:4>K1", ErrTruncated, 5, "inside the value", 0},
		{"tag cut off", "<eoh><CALL:4>K1AB<eor><CALL:4>K2CD<QSO_DA", ErrTruncated, 34, "inside the tag <QSO_DA", 1},
		{"no final eor", "<eoh><CALL:4>K1AB<eor>\n<CALL:4>K2CD<BAND:3>20m\n", ErrTruncated, 23, "no <eor>", 1},
		{"header cut off", "<ADIF_VER:5>3.1.6<PROGRAMID:1>X", ErrTruncated, 31, "before <eoh>", 0},
		{"value runs past the end", "<eoh><CALL:4>K1AB<eor><NOTES:100>only a few bytes", ErrTruncated, 22, "inside the value", 1},
		{"tag cut off after its length", "<eoh><CALL:4>K1AB<eor><CALL:4", ErrTruncated, 22, "inside the tag <CALL:4", 1},
		{"tag cut off in its type", "<eoh><CALL:4>K1AB<eor><CALL:4:", ErrTruncated, 22, "inside the tag <CALL:4:", 1},
		{"LoTW report without its EOF marker", lotwPreamble + "\n<PROGRAMID:4>LoTW<APP_LoTW_NUMREC:1>1<eoh><CALL:4>K1AB<eor>\n",
			ErrTruncated, int64(len(lotwPreamble)) + 61, "without <APP_LoTW_EOF>", 1},
		{"LoTW header without its EOF marker", "<PROGRAMID:4>LoTW<eoh><CALL:4>K1AB<eor>", ErrTruncated, 39, "without <APP_LoTW_EOF>", 1},
		{"LoTW empty shape cut off", lotwPreamble + "\n<PROGRAMID:4>LoTW\n", ErrTruncated, int64(len(lotwPreamble)) + 19, "before <eoh>", 0},
		{"huge length", "<eoh><CALL:99999999999999999999>K1AB<eor>", ErrMalformed, 5, "declares 99999999999999999999 bytes, more than the", 0},
		{"length over the limit", "<eoh><NOTES:1048577>x<eor>", ErrMalformed, 5, "declares 1048577 bytes", 0},
		{"length over the limit, leading zeros", "<eoh><CALL:000999999999>x<eor>", ErrMalformed, 5, "field CALL declares 999999999 bytes", 0},
		{"too many fields", "<eoh>" + strings.Repeat("<A:0>", maxFields+1), ErrMalformed, 5 + 5*maxFields, "more than 4096 fields", 0},
		{"record too large", "<eoh>" + strings.Repeat("<A:1048576>"+strings.Repeat("x", MaxDataLen), 8), ErrMalformed, 5 + 7*(11+MaxDataLen), "larger than", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ar, _, recs, err := readAll(t, strings.NewReader(tc.in))
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, tc.kind) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want a %v SyntaxError", err, tc.kind)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) || len(recs) != tc.nrecs {
				t.Errorf("got offset %d, message %q, %d records; want %d, %q, %d",
					se.Offset, se.Msg, len(recs), tc.offset, tc.msg, tc.nrecs)
			}
			if !strings.Contains(err.Error(), "at byte ") {
				t.Errorf("err = %q, want the offset in it", err)
			}
			if _, err2 := ar.Next(); err2 != err {
				t.Errorf("Next() after an error = %v, want %v", err2, err)
			}
		})
	}
}

func TestReader_LongValues(t *testing.T) {
	big := strings.Repeat("é", 100<<10) // 200 KiB, more than the look-ahead
	for _, tc := range []struct {
		name string
		in   string
		want string
		err  error
	}{
		{"larger than the buffer", "<eoh><NOTES:204800>" + big + "<CALL:4>K1AB<eor>", big, nil},
		{"exactly the limit", "<eoh><NOTES:1048576>" + strings.Repeat("x", MaxDataLen) + "<CALL:4>K1AB<eor>", strings.Repeat("x", MaxDataLen), nil},
		{"cut off", "<eoh><NOTES:204800>" + big[:1000], "", ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, recs, err := readAll(t, strings.NewReader(tc.in))
			if !errors.Is(err, tc.err) && err != tc.err {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if len(recs) != 1 || recs[0].Get("NOTES") != tc.want || recs[0].Get("CALL") != "K1AB" {
				t.Errorf("got %d records, NOTES of %d bytes", len(recs), len(recs[0].Get("NOTES")))
			}
		})
	}
}

// TestReader_Chunking reads every test file whole, one byte at a time and in
// halves: the results must not depend on how the input arrives.
func TestReader_Chunking(t *testing.T) {
	inputs := map[string][]byte{"utf8": []byte("<NAME:5>Jorgé <QTH:3>東京都<CALL:4>K1AB<eor>")}
	for _, f := range adiftest.Names() {
		inputs[f] = readFile(t, f)
	}
	for name, data := range inputs {
		_, wantHdr, want, wantErr := readAll(t, bytes.NewReader(data))
		for how, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
			"half":     iotest.HalfReader(bytes.NewReader(data)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
		} {
			_, hdr, got, err := readAll(t, r)
			if errString(err) != errString(wantErr) || !equalFields(hdr.Fields(), wantHdr.Fields()) || len(got) != len(want) {
				t.Errorf("%s read %s: got %d records, err %v; want %d, %v", name, how, len(got), err, len(want), wantErr)
				continue
			}
			for i := range got {
				if !equalFields(got[i].Fields(), want[i].Fields()) {
					t.Errorf("%s read %s: record %d = %q, want %q", name, how, i+1, got[i].Fields(), want[i].Fields())
				}
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestReader_IOError(t *testing.T) {
	boom := errors.New("connection reset")
	data := readFile(t, "lotw-report.adi")
	for _, cut := range []int{0, 100, 400, 1000, len(data)} {
		r := io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(boom))
		_, _, _, err := readAll(t, r)
		if !errors.Is(err, boom) || errors.Is(err, ErrMalformed) {
			t.Errorf("cut at %d: err = %v, want the I/O error, not ErrMalformed", cut, err)
		}
	}
	// An error met while looking ahead for a UTF-8 value must surface too.
	r := io.MultiReader(strings.NewReader("<eoh><NAME:5>Jorgé"), iotest.ErrReader(boom))
	if _, _, _, err := readAll(t, r); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the I/O error", err)
	}
}

func TestRecord_Accessors(t *testing.T) {
	_, _, recs, err := readAll(t, strings.NewReader("<CALL:4>K1AB<call:4>K2CD<Band:3>20m<eor>"))
	if err != nil {
		t.Fatal(err)
	}
	rec := recs[0]
	if rec.Len() != 3 || rec.Get("CALL") != "K1AB" || rec.Get("band") != "20m" || rec.Get("MODE") != "" {
		t.Errorf("Len %d, CALL %q, band %q, MODE %q", rec.Len(), rec.Get("CALL"), rec.Get("band"), rec.Get("MODE"))
	}
	if v, ok := rec.Lookup("MODE"); ok || v != "" {
		t.Errorf("Lookup(MODE) = %q, %v, want \"\", false", v, ok)
	}
	f := rec.Fields()
	f[0].Value = "changed"
	if rec.Get("CALL") != "K1AB" {
		t.Error("Fields() exposes the record")
	}
	var zero Record
	if zero.Len() != 0 || zero.Get("CALL") != "" || len(zero.Fields()) != 0 {
		t.Error("zero Record is not empty")
	}
}

// FuzzReader checks that the reader never panics, always terminates, moves
// its offset forward only, and fails only with SyntaxErrors.
func FuzzReader(f *testing.F) {
	for _, name := range adiftest.Names() {
		b, err := adiftest.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"<CALL:4>K1AB<eor>",
		"<NAME:5>Jorgé <QTH:3>東京都<CALL:4>K1AB<eor>",
		"<eoh><CALL:4:S>K1AB<FOO><eor><APP_LoTW_EOF>",
		"<eoh><CALL:4<eor>",
		"<eoh><NOTES:00>",
		"x<eoh:0><eor:0>",
		// Text that holds '<' (issue 10): e-mail addresses, URLs, hearts,
		// markup, runs of brackets, and tags cut off at the end.
		"Copyright (C) 2012 Andy Stewart <andystewart@comcast.net>\n<ADIF_VER:5>2.2.7<EOH><CALL:5>W6NEV<EOR>",
		"Log from <see https://x.y/z>\n<eoh><CALL:4>K1AB<eor>\n# <3 this contact\n<CALL:4>K2CD<eor>\n# <3",
		"<html><b>x</b><eoh><CALL:4>K1AB <3 <BAND:3>20m<eor></html>",
		"<<<<<<<<>>>><CALL:4>K1AB<<eor><eor>",
		"<eoh><CALL:4>K1AB<eor><CALL:4:",
		"<eoh><CALL:999999999>K1AB<eor>",
		"ARRL Logbook of the World Status Report\n<PROGRAMID:4>LoTW\n<APP_LoTW_EOF>\n",
		"ARRL Logbook of the World Status Report\n<PROGRAMID:4>LoTW\n<APP_LoTW_NUMREC:1>1<eoh><CALL:4>K1AB<eor>\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ar := NewReader(bytes.NewReader(data))
		last := int64(0)
		check := func(err error) {
			t.Helper()
			if off := ar.Offset(); off < last || off > int64(len(data)) {
				t.Fatalf("Offset() = %d after %d, input %d bytes", off, last, len(data))
			}
			last = ar.Offset()
			var se *SyntaxError
			if err != nil && err != io.EOF && !errors.As(err, &se) {
				t.Fatalf("err = %v, want io.EOF or a SyntaxError", err)
			}
			if se != nil && (se.Offset < 0 || se.Offset > int64(len(data))) {
				t.Fatalf("SyntaxError offset %d outside the %d-byte input", se.Offset, len(data))
			}
		}
		// How the input arrives must not change what is read.
		_, wantHdr, wantRecs, wantErr := readAll(t, iotest.OneByteReader(bytes.NewReader(data)))
		var got []Record

		hdr, err := ar.Header()
		check(err)
		if err == nil && !equalFields(hdr.Fields(), wantHdr.Fields()) {
			t.Fatalf("header %q, read byte by byte %q", hdr.Fields(), wantHdr.Fields())
		}
		// Every record ends with an <eor> of 5 bytes, so more calls than
		// that would mean the reader loops.
		for i := 0; i <= len(data)/5+1; i++ {
			rec, err := ar.Next()
			check(err)
			if err != nil {
				if _, err2 := ar.Next(); err2 != err {
					t.Fatalf("Next() after %v = %v", err, err2)
				}
				if err == io.EOF {
					err = nil
				}
				if errString(err) != errString(wantErr) || len(got) != len(wantRecs) {
					t.Fatalf("%d records, err %v; byte by byte %d, %v", len(got), err, len(wantRecs), wantErr)
				}
				for i := range got {
					if !equalFields(got[i].Fields(), wantRecs[i].Fields()) {
						t.Fatalf("record %d = %q; byte by byte %q", i+1, got[i].Fields(), wantRecs[i].Fields())
					}
				}
				return
			}
			got = append(got, rec)
			if rec.Len() == 0 {
				t.Fatal("empty record returned")
			}
			_, _ = ToQSO(rec, "lotw")
		}
		t.Fatalf("Next() did not stop after %d records on %d bytes", len(data)/5+2, len(data))
	})
}

func TestReader_AngleBracketsInText(t *testing.T) {
	ar, hdr, recs, err := readAll(t, bytes.NewReader(readFile(t, "own-log-angle-brackets.adi")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ar.Preamble(), "<author@example.org>") || hdr.Get("ADIF_VER") != "2.2.7" {
		t.Errorf("got preamble %q, ADIF_VER %q; want the e-mail address kept as text, 2.2.7", ar.Preamble(), hdr.Get("ADIF_VER"))
	}
	var calls []string
	for _, rec := range recs {
		calls = append(calls, rec.Get("CALL"))
	}
	if got, want := strings.Join(calls, " "), "W6NEV WR6K K6KQV"; got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
	if len(recs) == 3 && recs[1].Get("COMMENT") != "a <b> c<d" {
		t.Errorf("record 2 COMMENT = %q, want %q", recs[1].Get("COMMENT"), "a <b> c<d")
	}
}
