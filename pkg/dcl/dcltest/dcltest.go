// Package dcltest is a fake DARC Community Logbook for tests and the demo:
// an HTTP server on loopback implementing the draft download contract of
// spec §2.4/§2.7 (POST /api/adiexport), with switches for the faults a
// client must survive.
//
// It provides keys with QSO records, the cnf_only, qsl_since (inclusive) and
// limit parameters, and faults: every key refused (401), HTTP 503, a body
// that is not JSON, and {"status":"error"}. It records every request.
// It does not implement the token exchange or uploads, and it needs no
// *testing.T, so non-test code (the --demo mode) can run it.
package dcltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/dcl"
)

// Path is where the draft contract puts the export.
const Path = "/api/adiexport"

// Fault makes the server misbehave.
type Fault int

const (
	FaultNone         Fault = iota
	FaultUnauthorized       // 401 for every key, as for an invalid one
	FaultUnavailable        // HTTP 503
	FaultBadJSON            // 200 with a body that is not JSON
	FaultStatusError        // 200 {"status":"error","message":"..."}
)

// Record is one QSO as DCL holds it.
type Record struct {
	StationCallsign string
	Call            string
	Start           time.Time
	Band            string // e.g. "20m"
	Mode            string
	Submode         string
	PropMode        string
	SatName         string
	DOK             string // DARC_DOK
	Confirmed       bool   // DCL_QSL_RCVD=Y
	QSLRDate        time.Time
}

// Request is what a client sent.
type Request struct {
	Method      string
	ContentType string
	Accept      string
	UserAgent   string
	Body        dcl.ExportRequest
}

// Server is a running fake DCL.
type Server struct {
	// URL is the export endpoint, http://127.0.0.1:port/api/adiexport.
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	keys     map[string][]Record
	fault    Fault
	requests []Request
}

// NewServer starts an empty fake DCL on 127.0.0.1. Close it when done.
func NewServer() *Server {
	s := &Server{keys: map[string][]Record{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL + Path
	return s
}

// sampleResponse is adiftest's, the one copy every package's tests read.
var sampleResponse = func() []byte {
	b, err := adiftest.ReadFile("dcl-adiexport-response.json")
	if err != nil {
		panic("dcltest: " + err.Error())
	}
	return b
}()

// SampleRecords returns the records of the bundled example answer.
func SampleRecords() []Record {
	var er dcl.ExportResponse
	if err := json.Unmarshal(sampleResponse, &er); err != nil {
		panic("dcltest: bundled sample: " + err.Error())
	}
	recs, err := ParseRecords(strings.NewReader(er.ADIF))
	if err != nil {
		panic("dcltest: bundled sample: " + err.Error())
	}
	return recs
}

// NewSampleServer starts a fake DCL where key holds the sample records.
func NewSampleServer(key string) *Server {
	s := NewServer()
	s.AddKey(key)
	s.AddRecords(key, SampleRecords()...)
	return s
}

// ParseRecords reads records from ADIF text with DCL's fields.
func ParseRecords(r io.Reader) ([]Record, error) {
	ar := adif.NewReader(r)
	var out []Record
	for {
		rec, err := ar.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		tm := rec.Get("TIME_ON")
		for len(tm) < 6 {
			tm += "0"
		}
		start, err := time.Parse("20060102150405", rec.Get("QSO_DATE")+tm)
		if err != nil {
			return nil, fmt.Errorf("dcltest: record %d: %w", len(out)+1, err)
		}
		x := Record{
			StationCallsign: rec.Get("STATION_CALLSIGN"), Call: rec.Get("CALL"), Start: start,
			Band: rec.Get("BAND"), Mode: rec.Get("MODE"), Submode: rec.Get("SUBMODE"),
			PropMode: rec.Get("PROP_MODE"), SatName: rec.Get("SAT_NAME"), DOK: rec.Get("DARC_DOK"),
			Confirmed: strings.EqualFold(rec.Get("DCL_QSL_RCVD"), "Y"),
		}
		if d := rec.Get("DCL_QSLRDATE"); d != "" {
			if x.QSLRDate, err = time.Parse("20060102", d); err != nil {
				return nil, fmt.Errorf("dcltest: record %d: %w", len(out)+1, err)
			}
		}
		out = append(out, x)
	}
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AddKey makes key valid.
func (s *Server) AddKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[key]; !ok {
		s.keys[key] = nil
	}
}

// RemoveKey makes key invalid, as when the user revokes it.
func (s *Server) RemoveKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
}

// AddRecords adds records to a key.
func (s *Server) AddRecords(key string, recs ...Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = append(s.keys[key], recs...)
}

// SetFault switches a fault on for every later request.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	var body dcl.ExportRequest
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	jsonErr := json.Unmarshal(raw, &body)

	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, ContentType: r.Header.Get("Content-Type"),
		Accept: r.Header.Get("Accept"), UserAgent: r.UserAgent(), Body: body})
	fault := s.fault
	recs, known := s.keys[body.Key]
	recs = slices.Clone(recs)
	s.mu.Unlock()

	switch {
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"status": "error", "message": "method not allowed"})
		return
	case jsonErr != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": "invalid JSON"})
		return
	case fault == FaultUnavailable:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	case fault == FaultUnauthorized || !known:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"status": "error", "message": "invalid key"})
		return
	case fault == FaultBadJSON:
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return
	case fault == FaultStatusError:
		writeJSON(w, http.StatusOK, map[string]string{"status": "error", "message": "export failed"})
		return
	}

	var since time.Time
	if body.QSLSince != "" {
		var err error
		if since, err = time.Parse("2006-01-02", body.QSLSince); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": "invalid qsl_since"})
			return
		}
	}
	var buf bytes.Buffer
	buf.WriteString("<ADIF_VER:5>3.1.5 <PROGRAMID:3>DCL <EOH>\n")
	n := 0
	for _, rec := range recs {
		if body.CnfOnly == "T" && (!rec.Confirmed || rec.QSLRDate.Before(since)) {
			continue
		}
		if body.Limit > 0 && n >= body.Limit {
			break
		}
		writeRecord(&buf, &rec)
		n++
	}
	writeJSON(w, http.StatusOK, dcl.ExportResponse{Status: "ok", ADIF: buf.String()})
}

func writeRecord(b *bytes.Buffer, r *Record) {
	f := func(name, v string) {
		if v != "" {
			b.WriteString("<" + name + ":" + strconv.Itoa(len(v)) + ">" + v + " ")
		}
	}
	f("STATION_CALLSIGN", r.StationCallsign)
	f("CALL", r.Call)
	f("QSO_DATE", r.Start.UTC().Format("20060102"))
	f("TIME_ON", r.Start.UTC().Format("1504"))
	f("BAND", r.Band)
	f("MODE", r.Mode)
	f("SUBMODE", r.Submode)
	f("PROP_MODE", r.PropMode)
	f("SAT_NAME", r.SatName)
	f("DARC_DOK", r.DOK)
	if r.Confirmed {
		f("DCL_QSL_RCVD", "Y")
		f("DCL_QSLRDATE", r.QSLRDate.UTC().Format("20060102"))
	}
	b.WriteString("<EOR>\n")
}
