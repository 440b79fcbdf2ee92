package adif_test

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func TestASCII(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"FEDERAL REPUBLIC OF GERMANY", "FEDERAL REPUBLIC OF GERMANY"},
		{"Ferenc Tankó", "Ferenc Tanko"},
		{"ÅLAND ISLANDS", "ALAND ISLANDS"},
		{"Curaçao", "Curacao"},
		{"ﬁ", "fi"}, // compatibility ligature
		{"3436 公里", "3436 ??"},
		{"Straße", "Stra?e"}, // no decomposition: the loss shows
		{"line\nbreak\x7f", "line?break?"},
		{"bad \xff byte", "bad ? byte"},
	} {
		if got := adif.ASCII(tc.in); got != tc.want {
			t.Errorf("ASCII(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestWriter writes a header and a QSO and reads them back with the
// package's own Reader and ToQSO.
func TestWriter(t *testing.T) {
	lotwAt := time.Date(2024, 3, 2, 17, 4, 5, 0, time.UTC)
	dclAt := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	q := awardtracker.QSO{
		StationCallsign: "DL1ABC", Call: "K1ABC", Start: time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC),
		Band: "20m", FreqMHz: 14.07415, Mode: "MFSK", Submode: "FT4", ModeGroup: awardtracker.ModeGroupData,
		DXCC: 291, Country: "Ünited Statés", State: "CT", CQZone: 5, ITUZone: 8, Grid: "FN31PR", DOK: "B05",
		PropMode: "SAT", SatName: "QO-100", StartSeconds: true,
		LoTWConfirmed: true, LoTWConfirmedAt: &lotwAt, DCLConfirmed: true, DCLConfirmedAt: &dclAt,
	}
	var buf bytes.Buffer
	w := adif.NewWriter(&buf)
	created := time.Date(2026, 11, 30, 12, 0, 1, 0, time.UTC)
	if err := w.WriteHeader(adif.Header{Preamble: "Export <of> DL1ABC", ProgramID: "awardtracker", ProgramVersion: "v1.2.3", Created: created}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteQSO(&q); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "Export (of> DL1ABC\n" +
		"<ADIF_VER:5>3.1.6 <PROGRAMID:12>awardtracker <PROGRAMVERSION:6>v1.2.3 <CREATED_TIMESTAMP:15>20261130 120001 <EOH>\n\n" +
		"<STATION_CALLSIGN:6>DL1ABC <CALL:5>K1ABC <QSO_DATE:8>20240229 <TIME_ON:6>235958 <BAND:3>20m <FREQ:8>14.07415 " +
		"<MODE:4>MFSK <SUBMODE:3>FT4 <DXCC:3>291 <COUNTRY:13>United States <STATE:2>CT <CQZ:1>5 <ITUZ:1>8 " +
		"<GRIDSQUARE:6>FN31PR <DARC_DOK:3>B05 <PROP_MODE:3>SAT <SAT_NAME:6>QO-100 <LOTW_QSL_RCVD:1>Y <LOTW_QSLRDATE:8>20240302 <DCL_QSL_RCVD:1>Y <DCL_QSLRDATE:8>20240401 <EOR>\n"
	if got := buf.String(); got != want {
		t.Errorf("written:\n got %q\nwant %q", got, want)
	}

	r := adif.NewReader(&buf)
	h, err := r.Header()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("ADIF_VER") + " " + h.Get("CREATED_TIMESTAMP"); got != "3.1.6 20261130 120001" {
		t.Errorf("header read back: %q", got)
	}
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	got, err := adif.ToQSO(rec, awardtracker.SourceLog)
	if err != nil {
		t.Fatal(err)
	}
	// What an export cannot carry: accents, a confirmation's time of day.
	q.Country, q.LoTWConfirmedAt, q.Source = "United States", ptr(lotwAt.Truncate(24*time.Hour)), awardtracker.SourceLog
	if !reflect.DeepEqual(got, q) {
		t.Errorf("read back:\n got %+v\nwant %+v", got, q)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the record: %v, want EOF", err)
	}
}

// TestWriter_ModeGroup: a group LoTW decided (MODE=DATA for a phone mode
// it could not map) is written so that it reads back the same; a group
// the mode implies is not written.
func TestWriter_ModeGroup(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		group awardtracker.ModeGroup
		field bool
	}{
		{"CW", awardtracker.ModeGroupCW, false},
		{"DATA", awardtracker.ModeGroupData, false},
		{"DATA", awardtracker.ModeGroupPhone, true},
	} {
		var buf bytes.Buffer
		w := adif.NewWriter(&buf)
		w.WriteQSO(&awardtracker.QSO{Call: "K1A", Start: time.Unix(0, 0), Band: "20m", Mode: tc.mode, ModeGroup: tc.group})
		w.Flush()
		if got := strings.Contains(buf.String(), "APP_LoTW_MODEGROUP"); got != tc.field {
			t.Errorf("%s/%s: APP_LoTW_MODEGROUP written %v, want %v: %s", tc.mode, tc.group, got, tc.field, buf.String())
		}
		rec, err := adif.NewReader(&buf).Next()
		if err != nil {
			t.Fatal(err)
		}
		q, err := adif.ToQSO(rec, awardtracker.SourceLog)
		if err != nil || q.ModeGroup != tc.group {
			t.Errorf("%s/%s read back as %s, %v", tc.mode, tc.group, q.ModeGroup, err)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriter_Error(t *testing.T) {
	w := adif.NewWriter(failingWriter{})
	for range 2000 { // more than the buffer holds
		w.WriteQSO(&awardtracker.QSO{Call: "K1A", Start: time.Unix(0, 0), Band: "20m", Mode: "CW"})
	}
	if err := w.Flush(); err != io.ErrClosedPipe {
		t.Errorf("Flush = %v, want %v", err, io.ErrClosedPipe)
	}
}

func ptr[T any](v T) *T { return &v }

func BenchmarkWriteQSO(b *testing.B) {
	at := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	q := awardtracker.QSO{StationCallsign: "DL1ABC", Call: "K1ABC", Start: time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC),
		Band: "20m", FreqMHz: 14.07415, Mode: "MFSK", Submode: "FT4", ModeGroup: awardtracker.ModeGroupData, DXCC: 291,
		Country: "UNITED STATES OF AMERICA", State: "CT", CQZone: 5, ITUZone: 8, Grid: "FN31", LoTWConfirmed: true, LoTWConfirmedAt: &at}
	w := adif.NewWriter(io.Discard)
	for b.Loop() {
		w.WriteQSO(&q)
	}
}
