package api_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
)

// FuzzImport sends arbitrary bodies to the import endpoint of the real
// stack (in process, without the network). It must answer 200, 400 or 413
// — never a 5xx — and a refused import must write nothing.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"own-log.adi", "lotw-report.adi"} {
		b, err := adiftest.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "log")
		f.Add(b[:len(b)/2], "lotw")
	}
	f.Add([]byte("<EOH><CALL:4>K1AB<QSO_DATE:8>20240101<TIME_ON:4>1200<BAND:3>20m<MODE:3>FT8<EOR>"), "dcl")
	f.Add([]byte("<html><I>Username/password incorrect</I></html>"), "lotw")
	f.Add([]byte("ARRL Logbook of the World Status Report\n\n<PROGRAMID:4>LoTW\n<APP_LoTW_EOF>\n"), "lotw")
	f.Add([]byte("Andy Stewart <andystewart@comcast.net>\n<EOH><CALL:4>K1AB<QSO_DATE:8>20240101<TIME_ON:4>1200<BAND:3>20m<MODE:3>FT8 <3<EOR>"), "log")
	s := newTestServer(f, options{maxImportBytes: 1 << 20}) // shared by the iterations
	tok := s.register("N0FUZZ")
	serve := func(method, target string, body []byte) (int, []byte) {
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.Bytes()
	}
	total := func(t *testing.T) int {
		st, b := serve("GET", "/api/qsos/stats", nil)
		var stats struct{ Total int }
		if st != 200 || json.Unmarshal(b, &stats) != nil {
			t.Fatalf("stats: %d %s", st, b)
		}
		return stats.Total
	}
	f.Fuzz(func(t *testing.T, body []byte, source string) {
		before := total(t)
		st, resp := serve("POST", "/api/qsos/import?source="+url.QueryEscape(source), body)
		switch st {
		case 200:
			var res struct{ Imported int }
			if err := json.Unmarshal(resp, &res); err != nil {
				t.Fatalf("200 with a body that is not JSON: %s", resp)
			}
			if after := total(t); after != before+res.Imported {
				t.Fatalf("imported %d but the total went from %d to %d", res.Imported, before, after)
			}
		case 400, 413:
			if after := total(t); after != before {
				t.Fatalf("refused import (%d %s) changed the total from %d to %d", st, resp, before, after)
			}
		default:
			t.Fatalf("status %d: %s", st, resp)
		}
	})
}

// FuzzJSON sends arbitrary bodies to a JSON route of the real stack. It
// must answer 201, 400, 409 or 413 — never a 5xx — and no message may name
// a Go type.
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`{"callsign":"K1A","password":"correct horse"}`, `{"CALLSIGN":"K1A"}`, `{"callsign":"K1A","callsign":"K1B"}`,
		`[]`, `null`, `{"callsign":1}`, `{"callsign":{"a":[]}}`, "{\"callsign\":\"\xff\"}", `{} {}`, ``,
	} {
		f.Add([]byte(seed))
	}
	s := newTestServer(f, options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/auth/register", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case 201, 400, 409, 413:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var e struct{ Error string }
		if rec.Code != 201 && (json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "") {
			t.Fatalf("status %d without an error message: %s", rec.Code, rec.Body)
		}
		for _, goWord := range []string{"api.", "Request", "Go ", "struct", "reflect"} {
			if strings.Contains(e.Error, goWord) {
				t.Fatalf("message %q names a Go type (%q)", e.Error, goWord)
			}
		}
	})
}
