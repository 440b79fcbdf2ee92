package adif

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// record parses one record written as ADI fields without <eor>.
func record(t *testing.T, fields string) Record {
	t.Helper()
	rec, err := NewReader(strings.NewReader("<eoh>" + fields + "<eor>")).Next()
	if err != nil {
		t.Fatalf("record %q: %v", fields, err)
	}
	return rec
}

// adi writes fields as ADI data specifiers, in the order given.
func adi(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "<%s:%d>%s ", kv[i], len(kv[i+1]), kv[i+1])
	}
	return b.String()
}

func date(s string) *time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// base is a valid minimal record; tests add to or override it.
var base = []string{"CALL", "K1AB", "QSO_DATE", "20240102", "TIME_ON", "1234", "BAND", "20m", "MODE", "CW"}

// with returns base with the given fields replaced, added, or (value "-")
// removed.
func with(kv ...string) string {
	fields := map[string]string{}
	var order []string
	for _, list := range [][]string{base, kv} {
		for i := 0; i+1 < len(list); i += 2 {
			if _, ok := fields[list[i]]; !ok {
				order = append(order, list[i])
			}
			fields[list[i]] = list[i+1]
		}
	}
	var out []string
	for _, k := range order {
		if v := fields[k]; v != "-" {
			out = append(out, k, v)
		}
	}
	return adi(out...)
}

func TestToQSO_Normalise(t *testing.T) {
	for _, tc := range []struct {
		name   string
		src    awardtracker.Source
		fields string
		check  func(q awardtracker.QSO) string // "" if fine, else what is wrong
	}{
		{"callsigns trimmed and upper-cased", "log", with("CALL", " k1ab/p ", "STATION_CALLSIGN", "n0call "), func(q awardtracker.QSO) string {
			return want(q.Call == "K1AB/P" && q.StationCallsign == "N0CALL", "Call %q, StationCallsign %q", q.Call, q.StationCallsign)
		}},
		{"OPERATOR is not the station callsign", "log", with("OPERATOR", "N0CALL"), func(q awardtracker.QSO) string {
			return want(q.StationCallsign == "", "StationCallsign %q", q.StationCallsign)
		}},
		{"LoTW upper-case band", "lotw", with("BAND", "20M"), func(q awardtracker.QSO) string {
			return want(q.Band == "20m", "Band %q", q.Band)
		}},
		{"band from FREQ", "log", with("BAND", "-", "FREQ", "7.074"), func(q awardtracker.QSO) string {
			return want(q.Band == "40m" && q.FreqMHz == 7.074, "Band %q, FreqMHz %v", q.Band, q.FreqMHz)
		}},
		{"bad BAND, good FREQ", "log", with("BAND", "21m", "FREQ", "21.074"), func(q awardtracker.QSO) string {
			return want(q.Band == "15m", "Band %q", q.Band)
		}},
		{"BAND wins over FREQ", "log", with("BAND", "20m", "FREQ", "7.074"), func(q awardtracker.QSO) string {
			return want(q.Band == "20m" && q.FreqMHz == 7.074, "Band %q, FreqMHz %v", q.Band, q.FreqMHz)
		}},
		{"bad FREQ ignored", "log", with("FREQ", "14,074"), func(q awardtracker.QSO) string {
			return want(q.Band == "20m" && q.FreqMHz == 0, "Band %q, FreqMHz %v", q.Band, q.FreqMHz)
		}},
		{"4-digit TIME_ON", "log", with("TIME_ON", "0734"), func(q awardtracker.QSO) string {
			w := time.Date(2024, 1, 2, 7, 34, 0, 0, time.UTC)
			return want(q.Start.Equal(w) && q.Start.Location() == time.UTC && !q.StartSeconds, "Start %v, StartSeconds %v", q.Start, q.StartSeconds)
		}},
		{"6-digit TIME_ON", "lotw", with("TIME_ON", "073459"), func(q awardtracker.QSO) string {
			return want(q.Start.Equal(time.Date(2024, 1, 2, 7, 34, 59, 0, time.UTC)) && q.StartSeconds, "Start %v, StartSeconds %v", q.Start, q.StartSeconds)
		}},
		{"6-digit TIME_ON with zero seconds", "log", with("TIME_ON", " 073400 "), func(q awardtracker.QSO) string {
			return want(q.StartSeconds, "StartSeconds %v", q.StartSeconds)
		}},
		{"satellite fields upper-cased", "lotw", with("PROP_MODE", "sat", "SAT_NAME", " qo-100 "), func(q awardtracker.QSO) string {
			return want(q.PropMode == "SAT" && q.SatName == "QO-100" && q.Satellite(), "PropMode %q, SatName %q, Satellite %v", q.PropMode, q.SatName, q.Satellite())
		}},
		{"SAT_NAME alone is a satellite QSO", "log", with("SAT_NAME", "AO-7"), func(q awardtracker.QSO) string {
			return want(q.PropMode == "" && q.Satellite(), "PropMode %q, Satellite %v", q.PropMode, q.Satellite())
		}},
		{"PROP_MODE outside the enumeration kept", "log", with("PROP_MODE", "Satellit"), func(q awardtracker.QSO) string {
			return want(q.PropMode == "SATELLIT" && !q.Satellite(), "PropMode %q, Satellite %v", q.PropMode, q.Satellite())
		}},
		{"EME is not a satellite", "lotw", with("PROP_MODE", "EME"), func(q awardtracker.QSO) string {
			return want(q.PropMode == "EME" && !q.Satellite(), "PropMode %q, Satellite %v", q.PropMode, q.Satellite())
		}},
		{"FT4 as MODE", "log", with("MODE", "FT4"), func(q awardtracker.QSO) string {
			return want(q.Mode == "MFSK" && q.Submode == "FT4" && q.ModeGroup == "DATA", "%s/%s %s", q.Mode, q.Submode, q.ModeGroup)
		}},
		{"FT4 as SUBMODE", "lotw", with("MODE", "MFSK", "SUBMODE", "FT4"), func(q awardtracker.QSO) string {
			return want(q.Mode == "MFSK" && q.Submode == "FT4", "%s/%s", q.Mode, q.Submode)
		}},
		{"lower-case mode", "log", with("MODE", "ssb", "SUBMODE", "usb"), func(q awardtracker.QSO) string {
			return want(q.Mode == "SSB" && q.Submode == "USB" && q.ModeGroup == "PHONE", "%s/%s %s", q.Mode, q.Submode, q.ModeGroup)
		}},
		{"LoTW DATA mode", "lotw", with("MODE", "DATA", "APP_LoTW_MODE", "DATA", "APP_LoTW_MODEGROUP", "DATA"), func(q awardtracker.QSO) string {
			return want(q.Mode == "DATA" && q.ModeGroup == "DATA", "%s %s", q.Mode, q.ModeGroup)
		}},
		{"LoTW mode group wins", "lotw", with("MODE", "FM", "APP_LoTW_MODEGROUP", "DATA"), func(q awardtracker.QSO) string {
			return want(q.ModeGroup == "DATA", "ModeGroup %s", q.ModeGroup)
		}},
		{"LoTW IMAGE group is DATA", "lotw", with("MODE", "SSTV", "APP_LoTW_MODEGROUP", "IMAGE"), func(q awardtracker.QSO) string {
			return want(q.ModeGroup == "DATA", "ModeGroup %s", q.ModeGroup)
		}},
		{"unknown LoTW mode group ignored", "lotw", with("MODE", "SSB", "APP_LoTW_MODEGROUP", "VOICE"), func(q awardtracker.QSO) string {
			return want(q.ModeGroup == "PHONE", "ModeGroup %s", q.ModeGroup)
		}},
		{"location fields", "lotw", with("DXCC", "291", "COUNTRY", " UNITED STATES OF AMERICA ", "STATE", "dc", "CQZ", "05", "ITUZ", "08", "GRIDSQUARE", "fm18lv", "DARC_DOK", "b36"), func(q awardtracker.QSO) string {
			return want(q.DXCC == 291 && q.Country == "UNITED STATES OF AMERICA" && q.State == "DC" && q.CQZone == 5 && q.ITUZone == 8 && q.Grid == "FM18LV" && q.DOK == "B36",
				"DXCC %d, Country %q, State %q, CQ %d, ITU %d, Grid %q, DOK %q", q.DXCC, q.Country, q.State, q.CQZone, q.ITUZone, q.Grid, q.DOK)
		}},
		{"bad location numbers dropped", "log", with("DXCC", "999", "CQZ", "41", "ITUZ", "x"), func(q awardtracker.QSO) string {
			return want(q.DXCC == 0 && q.CQZone == 0 && q.ITUZone == 0, "DXCC %d, CQ %d, ITU %d", q.DXCC, q.CQZone, q.ITUZone)
		}},
		{"source set", "dcl", with(), func(q awardtracker.QSO) string {
			return want(q.Source == "dcl" && !q.Confirmed(), "Source %q, confirmed %v", q.Source, q.Confirmed())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ToQSO(record(t, tc.fields), tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(q); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// want returns "" if ok, else the formatted complaint.
func want(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return "got " + fmt.Sprintf(format, args...)
}

func TestToQSO_Confirmations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		src    awardtracker.Source
		fields string
		lotw   bool
		lotwAt *time.Time
		dcl    bool
		dclAt  *time.Time
	}{
		{"LoTW report", "lotw", with("QSL_RCVD", "Y", "QSLRDATE", "20250920", "APP_LoTW_RXQSL", "2025-09-20 01:39:22"), true, date("2025-09-20 00:00:00"), false, nil},
		{"LoTW report without QSLRDATE", "lotw", with("QSL_RCVD", "y", "APP_LoTW_RXQSL", "2025-09-20 01:39:22"), true, date("2025-09-20 01:39:22"), false, nil},
		{"LoTW report, unconfirmed", "lotw", with("QSL_RCVD", "N"), false, nil, false, nil},
		{"LoTW ignores LOTW_QSL_RCVD", "lotw", with("LOTW_QSL_RCVD", "Y"), false, nil, false, nil},
		{"log paper QSL ignored", "log", with("QSL_RCVD", "Y", "QSLRDATE", "20250920"), false, nil, false, nil},
		{"log LoTW confirmation", "log", with("LOTW_QSL_RCVD", "Y", "LOTW_QSLRDATE", "20250101"), true, date("2025-01-01 00:00:00"), false, nil},
		{"log LoTW verified", "log", with("LOTW_QSL_RCVD", "V"), true, nil, false, nil},
		{"log LoTW requested", "log", with("LOTW_QSL_RCVD", "R"), false, nil, false, nil},
		{"DCL confirmation", "dcl", with("DCL_QSL_RCVD", "Y", "DCL_QSLRDATE", "20201225"), false, nil, true, date("2020-12-25 00:00:00")},
		{"DCL confirmation in a log", "log", with("DCL_QSL_RCVD", "Y"), false, nil, true, nil},
		{"DCL confirmation in LoTW", "lotw", with("QSL_RCVD", "Y", "DCL_QSL_RCVD", "Y"), true, nil, true, nil},
		{"DCL bad date", "dcl", with("DCL_QSL_RCVD", "Y", "DCL_QSLRDATE", "2020-12-25"), false, nil, true, nil},
		{"DCL N", "dcl", with("DCL_QSL_RCVD", "N", "DCL_QSLRDATE", "20201225"), false, nil, false, nil},
		{"DCL status c", "log", with("APP_DCL_STATUS", "c"), false, nil, true, nil},
		{"DCL status M", "dcl", with("APP_DCL_STATUS", "M"), false, nil, true, nil},
		{"DCL status n", "dcl", with("APP_DCL_STATUS", "n"), false, nil, true, nil},
		{"DCL status o", "dcl", with("APP_DCL_STATUS", "o"), false, nil, true, nil},
		{"DCL status i", "dcl", with("APP_DCL_STATUS", "i", "DCL_QSLRDATE", "20240102"), false, nil, true, date("2024-01-02 00:00:00")},
		{"DCL status w (pending)", "dcl", with("APP_DCL_STATUS", "w"), false, nil, false, nil},
		{"DCL status x (unconfirmed)", "dcl", with("APP_DCL_STATUS", "x"), false, nil, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ToQSO(record(t, tc.fields), tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if q.LoTWConfirmed != tc.lotw || !sameTime(q.LoTWConfirmedAt, tc.lotwAt) ||
				q.DCLConfirmed != tc.dcl || !sameTime(q.DCLConfirmedAt, tc.dclAt) {
				t.Errorf("got LoTW %v at %v, DCL %v at %v; want LoTW %v at %v, DCL %v at %v",
					q.LoTWConfirmed, q.LoTWConfirmedAt, q.DCLConfirmed, q.DCLConfirmedAt,
					tc.lotw, tc.lotwAt, tc.dcl, tc.dclAt)
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestToQSO_Rejections(t *testing.T) {
	for _, tc := range []struct {
		fields string
		msg    string
	}{
		{with("CALL", "-"), "missing CALL"},
		{with("CALL", "  "), "missing CALL"},
		{with("QSO_DATE", "-"), "missing QSO_DATE"},
		{with("QSO_DATE", "2024131"), `bad QSO_DATE "2024131"`},
		{with("QSO_DATE", "20241301"), `bad QSO_DATE "20241301"`},
		{with("QSO_DATE", "20240230"), `bad QSO_DATE "20240230"`},
		{with("QSO_DATE", "19291231"), `bad QSO_DATE "19291231"`},
		{with("QSO_DATE", "2024-01-02"), `bad QSO_DATE "2024-01-02"`},
		{with("TIME_ON", "-"), "missing TIME_ON"},
		{with("TIME_ON", "2561"), `bad TIME_ON "2561"`},
		{with("TIME_ON", "12345"), `bad TIME_ON "12345"`},
		{with("TIME_ON", "123460"), `bad TIME_ON "123460"`},
		{with("TIME_ON", "12:34"), `bad TIME_ON "12:34"`},
		{with("BAND", "21m"), `unknown band "21m"`},
		{with("BAND", "21m", "FREQ", "100"), `unknown band "21m"`},
		{with("BAND", "-"), "missing BAND and FREQ"},
		{with("BAND", "-", "FREQ", "100.5"), `missing BAND, and FREQ "100.5" is in no band`},
		{with("MODE", "XYZ"), `unknown mode "XYZ"`},
		{with("MODE", "-"), "missing MODE"},
		{with("MODE", "MFSK", "SUBMODE", "FT2"), `unknown submode "FT2"`},
		{with("MODE", "XYZ", "SUBMODE", "FT4"), `unknown mode "XYZ"`},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			_, err := ToQSO(record(t, tc.fields), "log")
			if awardtracker.ErrorCode(err) != awardtracker.EINVALID || awardtracker.ErrorMessage(err) != tc.msg {
				t.Errorf("err = %v, want EINVALID %q", err, tc.msg)
			}
		})
	}
}

// collect drains Records; fatal is the final error, if any.
func collect(t *testing.T, r io.Reader, src awardtracker.Source) (recs []awardtracker.ImportRecord, fatal error) {
	t.Helper()
	for rec, err := range Records(r, src) {
		if fatal != nil {
			t.Fatalf("Records yielded %+v after the fatal error %v", rec, fatal)
		}
		if err != nil {
			fatal = err
			continue
		}
		recs = append(recs, rec)
	}
	return recs, fatal
}

func TestRecords_Files(t *testing.T) {
	t.Run("LoTW report", func(t *testing.T) {
		recs, err := collect(t, bytes.NewReader(readFile(t, "lotw-report.adi")), awardtracker.SourceLoTW)
		if err != nil || len(recs) != 6 {
			t.Fatalf("got %d records, err %v; want 6, nil", len(recs), err)
		}
		for i, r := range recs {
			if r.Index != i+1 || r.Err != nil || !r.QSO.LoTWConfirmed || r.QSO.LoTWConfirmedAt == nil || r.QSO.Source != "lotw" {
				t.Errorf("record %d = %+v", i+1, r)
			}
		}
		q := recs[0].QSO
		wantQ := awardtracker.QSO{
			StationCallsign: "N0CALL", Call: "UA98GDU", Start: time.Date(2024, 8, 27, 10, 25, 19, 0, time.UTC), StartSeconds: true,
			Band: "6m", FreqMHz: 50.31383, Mode: "MFSK", Submode: "FT4", ModeGroup: "DATA",
			DXCC: 15, Country: "ASIATIC RUSSIA", CQZone: 17, ITUZone: 30, Grid: "IM48",
			Source: "lotw", LoTWConfirmed: true, LoTWConfirmedAt: date("2025-09-20 00:00:00"),
		}
		q.LoTWConfirmedAt, wantQ.LoTWConfirmedAt = nil, nil
		if q != wantQ || !sameTime(recs[0].QSO.LoTWConfirmedAt, date("2025-09-20 00:00:00")) {
			t.Errorf("record 1 = %+v\nwant       %+v", q, wantQ)
		}
		if q := recs[3].QSO; q.State != "VA" || q.DXCC != 291 {
			t.Errorf("record 4 State %q DXCC %d", q.State, q.DXCC)
		}
		if g := recs[1].QSO.ModeGroup; g != "CW" {
			t.Errorf("record 2 ModeGroup %s, want CW", g)
		}
	})
	t.Run("own log", func(t *testing.T) {
		recs, err := collect(t, bytes.NewReader(readFile(t, "own-log.adi")), awardtracker.SourceLog)
		if err != nil || len(recs) != 12 {
			t.Fatalf("got %d records, err %v; want 12, nil", len(recs), err)
		}
		ft4 := 0
		for _, r := range recs {
			if r.Err != nil || r.QSO.Confirmed() || r.QSO.Start.Second() != 0 || r.QSO.Band != strings.ToLower(r.QSO.Band) {
				t.Errorf("record %d = %+v", r.Index, r)
			}
			if r.QSO.Submode == "FT4" && r.QSO.Mode == "MFSK" {
				ft4++
			}
		}
		if ft4 != 6 {
			t.Errorf("%d MFSK/FT4 QSOs, want 6", ft4)
		}
		// The same QSO as LoTW's record 1, by the stable key of spec §3.8.
		q := recs[2].QSO
		if q.Call != "UA98GDU" || q.Band != "6m" || q.Mode != "MFSK" || q.Submode != "FT4" || !q.Start.Equal(time.Date(2024, 8, 27, 10, 25, 0, 0, time.UTC)) {
			t.Errorf("record 3 = %+v", q)
		}
	})
	t.Run("DCL export", func(t *testing.T) {
		recs, err := collect(t, bytes.NewReader(readFile(t, "dcl-export.adi")), awardtracker.SourceDCL)
		if err != nil || len(recs) != 9 {
			t.Fatalf("got %d records, err %v; want 9, nil", len(recs), err)
		}
		confirmed := 0
		for _, r := range recs {
			if r.Err != nil || r.QSO.DOK == "" || r.QSO.LoTWConfirmed {
				t.Errorf("record %d = %+v", r.Index, r)
			}
			if r.QSO.DCLConfirmed {
				confirmed++
				if r.QSO.DCLConfirmedAt == nil {
					t.Errorf("record %d has no DCL date", r.Index)
				}
			}
		}
		if confirmed != 5 {
			t.Errorf("%d DCL-confirmed, want 5", confirmed)
		}
	})
	t.Run("empty LoTW report", func(t *testing.T) {
		recs, err := collect(t, bytes.NewReader(readFile(t, "lotw-report-empty.adi")), awardtracker.SourceLoTW)
		if err != nil || len(recs) != 0 {
			t.Errorf("got %d records, err %v; want none", len(recs), err)
		}
	})
}

func TestRecords_Fatal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    io.Reader
		nrecs int
		code  awardtracker.Code
		msg   string
	}{
		{"LoTW login page", bytes.NewReader(readFile(t, "lotw-bad-login.html")), 0, awardtracker.EINVALID, "not an ADIF file: the input is an HTML page"},
		{"plain text", strings.NewReader("Service unavailable"), 0, awardtracker.EINVALID, "not an ADIF file: no ADIF tag found"},
		{"empty input", strings.NewReader(""), 0, awardtracker.EINVALID, "not an ADIF file: no ADIF tag found"},
		{"truncated LoTW report", bytes.NewReader(readFile(t, "lotw-report-truncated.adi")), 3, awardtracker.EINVALID,
			"the ADIF input is cut off in record 4: input ends inside the tag <APP_LoTW_QSO_TIMESTAM at byte 2285"},
		{"no final eor", strings.NewReader("<eoh>" + with() + "<eor>" + with()), 1, awardtracker.EINVALID, "the ADIF input is cut off in record 2"},
		{"length over the limit", strings.NewReader("<eoh><CALL:4>K1AB<eor><CALL:999999999>K2CD<eor>"), 1, awardtracker.EINVALID,
			"malformed ADIF in record 2: field CALL declares 999999999 bytes, more than the 1048576 allowed at byte 22"},
		{"read error", io.MultiReader(strings.NewReader("<eoh>"), iotestErr{}), 0, awardtracker.EUNAVAILABLE, "reading the ADIF input failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := collect(t, tc.in, awardtracker.SourceLoTW)
			var de *awardtracker.Error
			if len(recs) != tc.nrecs || !errors.As(err, &de) || de.Code != tc.code || !strings.HasPrefix(de.Message, tc.msg) {
				t.Errorf("got %d records, err %v; want %d, %s %q", len(recs), err, tc.nrecs, tc.code, tc.msg)
			}
		})
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestRecords_TooLarge(t *testing.T) {
	body := strings.NewReader("<eoh>" + strings.Repeat(with()+"<eor>\n", 100))
	req := httptest.NewRequest(http.MethodPost, "/", body)
	limited := http.MaxBytesReader(httptest.NewRecorder(), req.Body, 1000)
	recs, err := collect(t, limited, awardtracker.SourceLog)
	if awardtracker.ErrorCode(err) != awardtracker.ETOOLARGE || len(recs) == 0 {
		t.Errorf("got %d records, err %v; want some, then ETOOLARGE", len(recs), err)
	}
}

func TestRecords_RejectionsContinue(t *testing.T) {
	in := "<eoh>" + with() + "<eor>" + with("MODE", "XYZ") + "<eor>" + with("CALL", "K2CD") + "<eor>"
	recs, err := collect(t, strings.NewReader(in), awardtracker.SourceLog)
	if err != nil || len(recs) != 3 {
		t.Fatalf("got %d records, err %v; want 3, nil", len(recs), err)
	}
	if recs[0].Err != nil || recs[1].Err == nil || recs[2].Err != nil || recs[1].Index != 2 || recs[2].QSO.Call != "K2CD" {
		t.Errorf("got %+v", recs)
	}
}

func TestRecords_StopEarly(t *testing.T) {
	n := 0
	for range Records(bytes.NewReader(readFile(t, "lotw-report.adi")), awardtracker.SourceLoTW) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("saw %d records, want 2", n)
	}
}
