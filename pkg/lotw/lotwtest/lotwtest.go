// Package lotwtest is a fake ARRL Logbook of the World for tests and the demo:
// an HTTP server on loopback that answers lotwreport.adi as spec §1.10
// describes, with a switch for every fault the real service shows.
//
// It provides accounts with QSL records (loaded from an ADIF report, added
// as Records, or generated on the fly for large reports without holding them
// in memory), filtering by the documented query parameters, newest-first
// ordering, the header fields and " // comments" LoTW writes, and faults:
// a bad login, throttling, truncation, a NUMREC mismatch, HTTP 503, a slow
// drip of bytes gated by the caller, a connection reset, and a page that is
// not a report. It records every request so that tests can check what a
// client sent.
//
// It does not implement uploads, the DXCC-credit endpoint or the web pages,
// and it needs no *testing.T, so non-test code (the --demo mode) can run it.
package lotwtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Path is where the fake serves reports, as LoTW does.
const Path = "/lotwuser/lotwreport.adi"

// TimeLayout is LoTW's layout for APP_LoTW_RXQSL, APP_LoTW_RXQSO and LASTQSL.
const TimeLayout = "2006-01-02 15:04:05"

// Fault makes the server misbehave the way LoTW does.
type Fault int

const (
	// FaultNone serves reports normally.
	FaultNone Fault = iota
	// FaultBadLogin answers the login page to every request, as LoTW does to
	// a wrong username or password (HTTP 200).
	FaultBadLogin
	// FaultRateLimited answers "Page Request Limit!" (HTTP 200).
	FaultRateLimited
	// FaultTruncated sends the header and only the first half of the
	// records, without <APP_LoTW_EOF>; the HTTP response itself is complete.
	FaultTruncated
	// FaultNumRecMismatch sends one record fewer than APP_LoTW_NUMREC says,
	// but ends with <APP_LoTW_EOF>.
	FaultNumRecMismatch
	// FaultUnavailable answers HTTP 503.
	FaultUnavailable
	// FaultReset sends the status, headers and about half of the report,
	// then resets the TCP connection.
	FaultReset
	// FaultNotAReport answers HTTP 200 with a maintenance page.
	FaultNotAReport
	// FaultUTF8Comment adds a non-ASCII " // comment" after a value in every
	// record, as LoTW's free-text comments may carry.
	FaultUTF8Comment
)

var faultNames = [...]string{"none", "bad-login", "rate-limited", "truncated", "numrec-mismatch", "unavailable", "reset", "not-a-report", "utf8-comment"}

func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// EmptyShape is how a report with no records is written. LoTW has been
// seen answering "nothing new" in two ways.
type EmptyShape int

const (
	// EmptyNumRec0 writes the header with APP_LoTW_NUMREC 0 and <eoh>,
	// then <APP_LoTW_EOF> (seen in 2020 for QSL ONLY: NO).
	EmptyNumRec0 EmptyShape = iota
	// EmptyNoHeader writes only the preamble, <PROGRAMID:4>LoTW and
	// <APP_LoTW_EOF>: no APP_LoTW_NUMREC and no <eoh> (seen in 2022 for
	// QSL ONLY: YES).
	EmptyNoHeader
)

// BadLoginPage is what LoTW answers (HTTP 200) to a wrong login, and
// RateLimitedPage what it answers (HTTP 200) when it throttles a client:
// adiftest's copies, which the client's own tests read too.
var (
	BadLoginPage    = string(mustSample("lotw-bad-login.html"))
	RateLimitedPage = string(mustSample("lotw-rate-limited.html"))
)

// MaintenancePage is served for FaultNotAReport.
const MaintenancePage = `<html><head><title>Maintenance</title></head>
<body><h1>Logbook of the World is down for maintenance</h1></body></html>
`

// Request is what a client sent.
type Request struct {
	Method    string
	Proto     string // "HTTP/1.1"
	UserAgent string
	RawQuery  string
	Query     url.Values
}

// Server is a running fake LoTW.
type Server struct {
	// URL is the report endpoint, http://127.0.0.1:port/lotwuser/lotwreport.adi.
	URL string

	srv *httptest.Server

	mu        sync.Mutex
	accounts  map[string]*account
	fault     Fault
	empty     EmptyShape
	limit     int
	dripChunk int
	dripGate  chan struct{}
	requests  []Request
	sent      int64 // report body bytes written
	now       func() time.Time
}

type account struct {
	password string
	records  []Record // sorted newest QSL first
	gen      func(i int) Record
	genN     int
	requests int
}

// NewServer starts an empty fake LoTW on 127.0.0.1. Close it when done.
func NewServer() *Server {
	s := &Server{accounts: map[string]*account{}, now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL + Path
	return s
}

// Close shuts the server down. Call it after releasing any drip gate.
func (s *Server) Close() { s.srv.Close() }

// SetNow sets the clock used for "Generated at" and the default "since".
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddAccount creates an account, or changes its password.
func (s *Server) AddAccount(login, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[login]
	if a == nil {
		a = &account{}
		s.accounts[login] = a
	}
	a.password = password
}

// AddRecords adds QSO records to an existing account.
func (s *Server) AddRecords(login string, recs ...Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAccount(login)
	a.records = append(a.records, recs...)
	slices.SortStableFunc(a.records, func(x, y Record) int { return y.RxQSL.Compare(x.RxQSL) })
}

// SetGenerated replaces an account's records by n generated ones: gen(i) is
// record i, and both its RxQSL and RxQSO must not increase with i. The
// records are rendered as they are sent, never all held in memory.
func (s *Server) SetGenerated(login string, n int, gen func(i int) Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAccount(login)
	a.records, a.gen, a.genN = nil, gen, n
}

func (s *Server) mustAccount(login string) *account {
	a := s.accounts[login]
	if a == nil {
		panic("lotwtest: no account " + login)
	}
	return a
}

// SetFault switches a fault on for every later request (FaultNone switches
// faults off).
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// SetEmptyShape chooses how later reports without records are written.
func (s *Server) SetEmptyShape(e EmptyShape) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty = e
}

// SetRequestLimit throttles each account after n requests (0: no limit),
// counted since the last ResetRequestCounts.
func (s *Server) SetRequestLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = n
}

// ResetRequestCounts starts a new throttling window.
func (s *Server) ResetRequestCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		a.requests = 0
	}
}

// Drip makes later reports trickle out: the body is written in chunks of
// chunk bytes, and each chunk after the first waits for a value on the
// returned channel. Closing the channel releases everything; not feeding it
// stalls the download, which is how tests reach a client's idle timeout
// without sleeping. A handler waiting on the gate gives up when its client
// goes away.
func (s *Server) Drip(chunk int) chan<- struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dripChunk = max(chunk, 1)
	s.dripGate = make(chan struct{})
	return s.dripGate
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// BytesSent is how many report bytes have been written so far.
func (s *Server) BytesSent() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// query is a parsed, normalised request (spec §1.10 item 2).
type query struct {
	login, password string
	qsoQuery        bool
	qslOnly         bool
	since           time.Time
	sinceText       string
	userSince       bool
	owncall, call   string
	band, mode      string
	dxcc            int
	startDate       time.Time
	endDate         time.Time
	qslDetail       bool
	myDetail        bool
	withOwn         bool
}

// param trims a value, strips one pair of quotes (Cloudlog sends
// qso_qsl='yes') and treats an empty value as absent.
func param(v url.Values, name string) string {
	s := strings.TrimSpace(v.Get(name))
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

func yes(v url.Values, name string, def bool) bool {
	switch strings.ToLower(param(v, name)) {
	case "yes":
		return true
	case "no":
		return false
	}
	return def
}

// parseSince accepts "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS".
func parseSince(s string) (time.Time, bool) {
	for _, layout := range []string{TimeLayout, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseQuery(v url.Values, now time.Time) query {
	q := query{
		login:     param(v, "login"),
		password:  param(v, "password"),
		qsoQuery:  param(v, "qso_query") == "1",
		qslOnly:   yes(v, "qso_qsl", true),
		owncall:   strings.ToUpper(param(v, "qso_owncall")),
		call:      strings.ToUpper(param(v, "qso_callsign")),
		band:      strings.ToUpper(param(v, "qso_band")),
		mode:      strings.ToUpper(param(v, "qso_mode")),
		qslDetail: yes(v, "qso_qsldetail", false),
		myDetail:  yes(v, "qso_mydetail", false),
		withOwn:   yes(v, "qso_withown", false),
	}
	if d, err := strconv.Atoi(param(v, "qso_dxcc")); err == nil {
		q.dxcc = d
		q.qslOnly = true // the DXCC of unconfirmed QSOs is not known to LoTW
	}
	sinceParam := "qso_qslsince"
	if !q.qslOnly {
		sinceParam = "qso_qsorxsince"
	}
	if t, ok := parseSince(param(v, sinceParam)); ok {
		q.since, q.userSince = t, true
	} else {
		q.since = now.UTC().Add(-24 * time.Hour).Truncate(time.Second)
	}
	q.sinceText = q.since.Format(TimeLayout)
	if t, ok := parseSince(param(v, "qso_startdate")); ok {
		q.startDate = t
	}
	if t, ok := parseSince(param(v, "qso_enddate")); ok {
		q.endDate = t.Add(24*time.Hour - time.Second)
	}
	return q
}

func (q *query) match(r *Record) bool {
	if q.qslOnly {
		if !r.Confirmed || r.RxQSL.Before(q.since) {
			return false
		}
	} else if r.RxQSO.Before(q.since) {
		return false
	}
	switch {
	case q.owncall != "" && !strings.EqualFold(q.owncall, r.StationCallsign),
		q.call != "" && !strings.EqualFold(q.call, r.Call),
		q.band != "" && !strings.EqualFold(q.band, r.Band),
		q.mode != "" && !strings.EqualFold(q.mode, r.Mode) && !strings.EqualFold(q.mode, r.Submode),
		q.dxcc != 0 && q.dxcc != r.DXCC,
		!q.startDate.IsZero() && r.Start.Before(q.startDate),
		!q.endDate.IsZero() && r.Start.After(q.endDate):
		return false
	}
	return true
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Proto: r.Proto, UserAgent: r.UserAgent(), RawQuery: r.URL.RawQuery, Query: r.URL.Query()})
	if r.Method != http.MethodGet {
		s.mu.Unlock()
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	now := s.now()
	q := parseQuery(r.URL.Query(), now)
	fault, empty := s.fault, s.empty
	a := s.accounts[q.login]
	authOK := a != nil && q.password != "" && a.password == q.password && fault != FaultBadLogin
	throttled := fault == FaultRateLimited
	if authOK {
		a.requests++
		if s.limit > 0 && a.requests > s.limit {
			throttled = true
		}
	}
	var each func(yield func(*Record) bool)
	if authOK {
		each = a.each(q.qslOnly)
	}
	chunk, gate := s.dripChunk, s.dripGate
	s.mu.Unlock()

	switch {
	case fault == FaultUnavailable:
		http.Error(w, "Service Temporarily Unavailable", http.StatusServiceUnavailable)
		return
	case !authOK:
		writeHTML(w, BadLoginPage)
		return
	case throttled:
		writeHTML(w, RateLimitedPage)
		return
	case fault == FaultNotAReport:
		writeHTML(w, MaintenancePage)
		return
	}

	// First pass: count the matches and find the newest, for the header.
	n := 0
	var newest *Record
	if q.qsoQuery {
		for rec := range each {
			if q.match(rec) {
				if n == 0 {
					c := *rec
					newest = &c
				}
				n++
			}
		}
	}
	rep := report{q: q, now: now, n: n, newest: newest, each: each, fault: fault, empty: empty}

	if fault == FaultReset {
		s.reset(w, &rep)
		return
	}
	w.Header().Set("Content-Type", "application/x-arrl-adif; charset=iso-8859-1")
	var out io.Writer = &countingWriter{w: w, s: s}
	if gate != nil {
		out = &dripWriter{w: out, f: w.(http.Flusher), chunk: chunk, gate: gate, done: r.Context().Done()}
	}
	bw := bufio.NewWriterSize(out, 32<<10)
	if err := rep.write(bw); err == nil {
		bw.Flush()
	}
}

func writeHTML(w http.ResponseWriter, page string) {
	w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
	io.WriteString(w, page)
}

// reset writes the start of a report on the raw connection and then resets it.
func (s *Server) reset(w http.ResponseWriter, rep *report) {
	var body bytes.Buffer
	bw := bufio.NewWriter(&body)
	rep.write(bw)
	bw.Flush()
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/x-arrl-adif; charset=iso-8859-1\r\nContent-Length: %d\r\n\r\n", body.Len())
	buf.Write(body.Bytes()[:body.Len()/2])
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with RST, not FIN
	}
}

// each iterates an account's records newest first: by RxQSL for QSL queries,
// by RxQSO otherwise. It is called with s.mu held and does not need it later:
// slices are copied, generators are pure.
func (a *account) each(qslOnly bool) func(yield func(*Record) bool) {
	if a.gen != nil {
		gen, n := a.gen, a.genN
		return func(yield func(*Record) bool) {
			for i := range n {
				r := gen(i)
				if !yield(&r) {
					return
				}
			}
		}
	}
	recs := slices.Clone(a.records)
	if !qslOnly {
		slices.SortStableFunc(recs, func(x, y Record) int { return y.RxQSO.Compare(x.RxQSO) })
	}
	return func(yield func(*Record) bool) {
		for i := range recs {
			if !yield(&recs[i]) {
				return
			}
		}
	}
}

type countingWriter struct {
	w io.Writer
	s *Server
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.s.mu.Lock()
	c.s.sent += int64(n)
	c.s.mu.Unlock()
	return n, err
}

// dripWriter writes in chunks, waiting on gate before every chunk but the first.
type dripWriter struct {
	w       io.Writer
	f       http.Flusher
	chunk   int
	gate    <-chan struct{}
	done    <-chan struct{}
	written int
}

func (d *dripWriter) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if d.written > 0 && d.written%d.chunk == 0 {
			d.f.Flush()
			select {
			case <-d.gate:
			case <-d.done:
				return total, io.ErrClosedPipe
			}
		}
		n := min(len(p), d.chunk-d.written%d.chunk)
		m, err := d.w.Write(p[:n])
		total += m
		d.written += m
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	d.f.Flush()
	return total, nil
}
