package lotwtest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

const login, password = "n0call", "pw"

func get(t *testing.T, s *lotwtest.Server, q url.Values) (int, string, string) {
	t.Helper()
	resp, err := http.Get(s.URL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func params(kv ...string) url.Values {
	v := url.Values{"login": {login}, "password": {password}, "qso_query": {"1"}}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// parse returns the header and records of a report.
func parse(t *testing.T, body string) (adif.Record, []adif.Record, bool) {
	t.Helper()
	r := adif.NewReader(strings.NewReader(body))
	h, err := r.Header()
	if err != nil {
		t.Fatalf("header: %v\n%s", err, body)
	}
	var recs []adif.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return h, recs, r.SawEOFMarker()
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}

func TestServer_Report(t *testing.T) {
	s := lotwtest.NewSampleServer(login, password)
	defer s.Close()

	t.Run("Full", func(t *testing.T) {
		code, ct, body := get(t, s, params("qso_qslsince", "1900-01-01", "qso_qsldetail", "yes", "qso_withown", "yes"))
		if code != 200 || ct != "application/x-arrl-adif; charset=iso-8859-1" {
			t.Fatalf("status %d, type %q", code, ct)
		}
		if !strings.HasPrefix(body, "ARRL Logbook of the World Status Report\nGenerated at ") ||
			!strings.Contains(body, "QSL RX SINCE: 1900-01-01 00:00:00 (user supplied value)") {
			t.Fatalf("preamble:\n%s", body[:300])
		}
		h, recs, eof := parse(t, body)
		if h.Get("APP_LoTW_NUMREC") != "6" || h.Get("APP_LoTW_LASTQSL") != "2025-09-20 01:39:22" || !eof || len(recs) != 6 {
			t.Fatalf("NUMREC %q, LASTQSL %q, EOF %v, %d records", h.Get("APP_LoTW_NUMREC"), h.Get("APP_LoTW_LASTQSL"), eof, len(recs))
		}
		prev := ""
		for i, r := range recs {
			rx := r.Get("APP_LoTW_RXQSL")
			if i > 0 && rx > prev {
				t.Fatalf("record %d RXQSL %s after %s: not newest first", i, rx, prev)
			}
			prev = rx
			if r.Get("STATION_CALLSIGN") != "N0CALL" || r.Get("DXCC") == "" || len(r.Get("TIME_ON")) != 6 || r.Get("BAND") != strings.ToUpper(r.Get("BAND")) {
				t.Fatalf("record %d: %+v", i, r.Fields())
			}
		}
		if recs[0].Get("MODE") != "MFSK" || recs[0].Get("SUBMODE") != "FT4" {
			t.Fatalf("first record mode %s/%s, want MFSK/FT4", recs[0].Get("MODE"), recs[0].Get("SUBMODE"))
		}
		if !strings.Contains(body, "<DXCC:2>15 // Asiatic Russia") {
			t.Fatal("no // comment after DXCC")
		}
	})

	t.Run("SinceInclusiveAndQuoted", func(t *testing.T) {
		_, _, body := get(t, s, params("qso_qslsince", `'2024-08-30 19:11:57'`, "qso_qsl", "'YES'"))
		h, recs, _ := parse(t, body)
		if len(recs) != 2 || h.Get("APP_LoTW_NUMREC") != "2" {
			t.Fatalf("got %d records, want 2", len(recs))
		}
		if recs[0].Get("DXCC") != "" || recs[0].Get("STATION_CALLSIGN") != "" {
			t.Fatal("detail fields sent without qso_qsldetail/qso_withown")
		}
	})

	t.Run("Empty", func(t *testing.T) {
		_, _, body := get(t, s, params("qso_qslsince", "2030-01-01"))
		h, recs, eof := parse(t, body)
		if _, ok := h.Lookup("APP_LoTW_LASTQSL"); ok || h.Get("APP_LoTW_NUMREC") != "0" || len(recs) != 0 || !eof {
			t.Fatalf("header %+v, %d records, EOF %v", h.Fields(), len(recs), eof)
		}
	})

	t.Run("EmptyWithoutHeader", func(t *testing.T) {
		s.SetEmptyShape(lotwtest.EmptyNoHeader)
		defer s.SetEmptyShape(lotwtest.EmptyNumRec0)
		_, _, body := get(t, s, params("qso_qslsince", "2030-01-01"))
		if strings.Contains(strings.ToLower(body), "<eoh>") || !strings.HasSuffix(body, "<PROGRAMID:4>LoTW\n\n<APP_LoTW_EOF>\n\n") {
			t.Fatalf("body:\n%s", body)
		}
		h, recs, eof := parse(t, body)
		if _, ok := h.Lookup("APP_LoTW_NUMREC"); ok || h.Get("PROGRAMID") != "LoTW" || len(recs) != 0 || !eof {
			t.Fatalf("header %+v, %d records, EOF %v", h.Fields(), len(recs), eof)
		}
		// Only an empty answer changes shape.
		_, _, body = get(t, s, params("qso_qslsince", "1900-01-01"))
		if h, recs, _ := parse(t, body); h.Get("APP_LoTW_NUMREC") != "6" || len(recs) != 6 {
			t.Fatalf("NUMREC %q, %d records; want 6, 6", h.Get("APP_LoTW_NUMREC"), len(recs))
		}
	})

	t.Run("DefaultSince", func(t *testing.T) {
		s.SetNow(func() time.Time { return time.Date(2024, 8, 31, 0, 0, 0, 0, time.UTC) })
		defer s.SetNow(time.Now)
		_, _, body := get(t, s, params("qso_qslsince", ""))
		if !strings.Contains(body, "QSL RX SINCE: 2024-08-30 00:00:00 (system supplied default)") {
			t.Fatalf("preamble:\n%s", body[:300])
		}
		_, recs, _ := parse(t, body)
		if len(recs) != 2 {
			t.Fatalf("got %d records in the default window, want 2", len(recs))
		}
	})

	t.Run("NoQueryNoRecords", func(t *testing.T) {
		v := params("qso_qslsince", "1900-01-01")
		v.Del("qso_query")
		_, _, body := get(t, s, v)
		if _, recs, _ := parse(t, body); len(recs) != 0 {
			t.Fatalf("got %d records without qso_query, want 0", len(recs))
		}
	})

	t.Run("Filters", func(t *testing.T) {
		for _, tt := range []struct {
			k, v string
		}{{"qso_band", "17m"}, {"qso_callsign", "k8rd"}, {"qso_mode", "FT4"}, {"qso_dxcc", "150"}, {"qso_startdate", "2024-01-01"}, {"qso_enddate", "2020-12-31"}} {
			_, _, body := get(t, s, params("qso_qslsince", "1900-01-01", tt.k, tt.v))
			_, recs, _ := parse(t, body)
			want := map[string]int{"qso_band": 3, "qso_callsign": 1, "qso_mode": 1, "qso_dxcc": 1, "qso_startdate": 2, "qso_enddate": 1}[tt.k]
			if len(recs) != want {
				t.Errorf("%s=%s: got %d records, want %d", tt.k, tt.v, len(recs), want)
			}
		}
	})

	t.Run("QSLNo", func(t *testing.T) {
		_, _, body := get(t, s, params("qso_qsl", "no", "qso_qsorxsince", "1900-01-01"))
		h, recs, _ := parse(t, body)
		if h.Get("APP_LoTW_LASTQSORX") != "2024-09-20 01:39:05" || len(recs) != 6 {
			t.Fatalf("LASTQSORX %q, %d records", h.Get("APP_LoTW_LASTQSORX"), len(recs))
		}
	})
}

func TestServer_Errors(t *testing.T) {
	s := lotwtest.NewSampleServer(login, password)
	defer s.Close()

	resp, err := http.Post(s.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: status %d, want 405", resp.StatusCode)
	}

	v := params()
	v.Set("password", "wrong")
	if code, _, body := get(t, s, v); code != 200 || !strings.Contains(body, "<I>Username/password incorrect</I>") || strings.HasPrefix(body, "ARRL") {
		t.Fatalf("bad password: %d %q", code, body)
	}

	s.SetRequestLimit(2)
	for i := range 3 {
		_, _, body := get(t, s, params())
		if limited := strings.Contains(body, "<B>Page Request Limit!</B>"); limited != (i == 2) {
			t.Fatalf("request %d: limited %v", i+1, limited)
		}
	}
	s.ResetRequestCounts()
	if _, _, body := get(t, s, params()); strings.Contains(body, "Page Request Limit") {
		t.Fatal("still limited after ResetRequestCounts")
	}
	s.SetRequestLimit(0)

	s.SetFault(lotwtest.FaultUnavailable)
	if code, _, _ := get(t, s, params()); code != 503 {
		t.Fatalf("FaultUnavailable: status %d", code)
	}
	s.SetFault(lotwtest.FaultTruncated)
	_, _, body := get(t, s, params("qso_qslsince", "1900-01-01"))
	if strings.Contains(body, "APP_LoTW_EOF") || strings.Count(body, "<eor>") != 3 || !strings.Contains(body, "<APP_LoTW_NUMREC:1>6") {
		t.Fatalf("FaultTruncated body:\n%s", body)
	}
	s.SetFault(lotwtest.FaultNumRecMismatch)
	_, _, body = get(t, s, params("qso_qslsince", "1900-01-01"))
	if !strings.Contains(body, "APP_LoTW_EOF") || strings.Count(body, "<eor>") != 6 || !strings.Contains(body, "<APP_LoTW_NUMREC:1>7") {
		t.Fatalf("FaultNumRecMismatch body:\n%s", body)
	}
}

func TestServer_Generated(t *testing.T) {
	s := lotwtest.NewServer()
	defer s.Close()
	s.AddAccount(login, password)
	s.SetGenerated(login, 1000, lotwtest.Generated)
	since := lotwtest.Generated(99).RxQSL.Format(lotwtest.TimeLayout)
	_, _, body := get(t, s, params("qso_qslsince", since))
	h, recs, eof := parse(t, body)
	if h.Get("APP_LoTW_NUMREC") != "100" || len(recs) != 100 || !eof {
		t.Fatalf("NUMREC %q, %d records, EOF %v", h.Get("APP_LoTW_NUMREC"), len(recs), eof)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.Get("CALL")] {
			t.Fatalf("call %s repeats", r.Get("CALL"))
		}
		seen[r.Get("CALL")] = true
	}
}

func TestSampleOwnLog(t *testing.T) {
	n := 0
	r := adif.NewReader(strings.NewReader(string(lotwtest.SampleOwnLog())))
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 12 || len(lotwtest.SampleRecords()) != 6 {
		t.Fatalf("own log %d records, sample report %d; want 12, 6", n, len(lotwtest.SampleRecords()))
	}
}
