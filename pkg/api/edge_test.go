package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// The tests in this file hold the HTTP edge to what a client may expect of
// it: client mistakes answered 4xx, oversized bodies refused with a 413 the
// client can read, HEAD and 405 as HTTP says, and only safe request ids.

// TestImport_TruncatedMultipart: a multipart upload cut off before its
// closing boundary is the client's mistake: 400, nothing imported, and the
// metrics count a 400, not a 5xx that would page the operator.
func TestImport_TruncatedMultipart(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CUT")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "own-log.adi")
	b, err := adiftest.ReadFile("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(b)
	// No mw.Close: the closing boundary never comes.
	for name, body := range map[string][]byte{
		"NoClosingBoundary": buf.Bytes(),
		"CutInTheFile":      buf.Bytes()[:buf.Len()/2],
	} {
		t.Run(name, func(t *testing.T) {
			st, resp := s.do("POST", "/api/qsos/import?source=log", tok, bytes.NewReader(body), "Content-Type", mw.FormDataContentType())
			if st != 400 {
				t.Fatalf("status %d (%s), want 400", st, resp)
			}
			if got := s.stats(tok).Total; got != 0 {
				t.Errorf("%d QSOs after a refused import, want 0", got)
			}
		})
	}
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "awardtracker_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "code" && strings.HasPrefix(lp.GetValue(), "5") {
					t.Errorf("a request counted as %s, want none: %v", lp.GetValue(), m.GetLabel())
				}
			}
		}
	}
	if got := s.value("awardtracker_http_requests_total", "route", "/api/qsos/import", "code", "400"); got != 2 {
		t.Errorf("%v imports counted as 400, want 2", got)
	}
}

// rawConn opens a TCP connection to the server, so that a test controls
// exactly what is sent and when (Go's client hides Expect: 100-continue).
func (s *testServer) rawConn() (net.Conn, *bufio.Reader) {
	s.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// TestBodyLimit_ExpectContinue is curl's way of sending a large body: the
// headers with Expect: 100-continue, then the body only after "100
// Continue". A body whose Content-Length is over the limit must be refused
// at once with a 413, never invited with a 100.
func TestBodyLimit_ExpectContinue(t *testing.T) {
	s := newTestServer(t, options{maxImportBytes: 1 << 20})
	tok := s.register("N0BIG")
	for _, tc := range []struct{ method, path, ct string }{
		{"PUT", "/api/me/lotw", "application/json"},
		{"POST", "/api/auth/register", "application/json"},
		{"POST", "/api/qsos/import?source=log", "application/octet-stream"},
		{"POST", "/api/qsos/import?source=log", "multipart/form-data; boundary=xyz"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			c, r := s.rawConn()
			fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n"+
				"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", tc.method, tc.path, tok, tc.ct, 5<<20)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Fatalf("first answer %s, want 413 before any of the body is sent", resp.Status)
			}
		})
	}
}

// TestBodyLimit_Drained: a client that sends its whole oversized body before
// it reads the answer (as many do, and as curl does without Content-Length)
// must be able to send it and then read the 413, not get a connection
// reset. The body is larger than what loopback's socket buffers hold, so a
// server that stops reading blocks the sender until it resets it.
func TestBodyLimit_Drained(t *testing.T) {
	s := newTestServer(t, options{maxImportBytes: 1 << 20})
	tok := s.register("N0BIG")
	const size = 12 << 20
	body := []byte(`{"username":"` + strings.Repeat("x", size) + `"}`)
	for _, tc := range []struct {
		name, path string
		chunked    bool
	}{
		{"JSONChunked", "PUT /api/me/lotw", true},
		{"JSONContentLength", "PUT /api/me/lotw", false},
		{"ImportChunked", "POST /api/qsos/import?source=log", true},
		{"ImportContentLength", "POST /api/qsos/import?source=log", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, r := s.rawConn()
			w := bufio.NewWriterSize(c, 64<<10)
			fmt.Fprintf(w, "%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n", tc.path, tok)
			if tc.chunked {
				fmt.Fprintf(w, "Transfer-Encoding: chunked\r\n\r\n")
				for rest := body; len(rest) > 0; {
					n := min(len(rest), 32<<10)
					fmt.Fprintf(w, "%x\r\n%s\r\n", n, rest[:n])
					rest = rest[n:]
				}
				fmt.Fprintf(w, "0\r\n\r\n")
			} else {
				fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(body))
				w.Write(body)
			}
			if err := w.Flush(); err != nil {
				t.Fatalf("sending the body: %v; want it read (drained) by the server", err)
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 413 {
				t.Errorf("status %s (%s), want 413", resp.Status, msg)
			}
		})
	}
}

// TestHEAD: HEAD on a GET route answers as GET would, without the body.
func TestHEAD(t *testing.T) {
	s := newMockServer(t)
	tok := s.user(1, "N0HEAD")
	s.Stats.StatsFn = func(context.Context, int64) (*awardtracker.Stats, error) { return &awardtracker.Stats{}, nil }
	s.QSOs.FindQSOsFn = func(context.Context, int64, awardtracker.QSOFilter) ([]awardtracker.QSO, int, error) {
		return []awardtracker.QSO{{ID: 1, Call: "K1AB"}}, 1, nil
	}
	s.Awards.AwardsFn = func(context.Context, int64) ([]awardtracker.AwardProgress, error) {
		return []awardtracker.AwardProgress{{ID: "dxcc"}}, nil
	}
	for _, path := range []string{"/api/qsos/stats", "/api/qsos", "/api/awards/dxcc", "/api/health", "/livez", "/readyz", "/metrics"} {
		req, _ := http.NewRequest("HEAD", s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes, want 200 without a body", path, resp.StatusCode, len(b))
		}
	}
	if st, _ := s.do("HEAD", "/api/qsos/stats", "", nil); st != 401 {
		t.Errorf("HEAD without a token: %d, want 401", st)
	}
}

// TestMethodNotAllowed: a known path with the wrong method is a 405 that
// says which methods it takes; an unknown path stays a 404.
func TestMethodNotAllowed(t *testing.T) {
	s := newMockServer(t)
	tok := s.user(1, "N0METH")
	for _, tc := range []struct{ method, path, allow string }{
		// DELETE /api/qsos/:id takes any id, "stats" too (it answers 404).
		{"POST", "/api/qsos/stats", "GET, HEAD, DELETE"},
		{"DELETE", "/api/health", "GET, HEAD"},
		{"GET", "/api/auth/login", "POST"},
		{"PUT", "/api/qsos", "GET, HEAD"},
		{"GET", "/api/qsos/import", "POST, DELETE"},
		{"PUT", "/api/awards", "GET, HEAD"},
		{"PATCH", "/livez", "GET, HEAD"},
	} {
		req, _ := http.NewRequest(tc.method, s.URL()+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q (%s); want 405, Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), b, tc.allow)
		}
	}
	if st, _ := s.do("GET", "/api/no/such/route", tok, nil); st != 404 {
		t.Errorf("unknown path: %d, want 404", st)
	}
	if st, _ := s.do("GET", "/nowhere", "", nil); st != 404 {
		t.Errorf("unknown path: %d, want 404", st)
	}
}

// TestRequestID: a client's X-Request-ID is kept when it is short and made
// of safe characters (it ends up in logs), and replaced otherwise.
func TestRequestID(t *testing.T) {
	s := newMockServer(t)
	for _, tc := range []struct {
		sent string
		kept bool
	}{
		{"3f2a9c1e-7b4d-4e0a-9c3f-1a2b3c4d5e6f", true},
		{"req_42.a:b", true},
		{strings.Repeat("a", 200), false},
		{`"><script>`, false},
		{"two words", false},
		{"caf\xc3\xa9", false},
	} {
		req, _ := http.NewRequest("GET", s.URL()+"/livez", nil)
		req.Header.Set("X-Request-ID", tc.sent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-ID")
		if tc.kept && got != tc.sent {
			t.Errorf("sent %q, got %q back; want it kept", tc.sent, got)
		}
		if !tc.kept && (got == tc.sent || got == "" || len(got) > 64) {
			t.Errorf("sent %q, got %q back; want a generated id", tc.sent, got)
		}
	}
}

// TestStrictJSON: field names match exactly, each at most once, and no
// message names a Go type.
func TestStrictJSON(t *testing.T) {
	s := newMockServer(t)
	s.Auth.RegisterFn = func(_ context.Context, call, _ string) (*awardtracker.User, string, error) {
		return &awardtracker.User{ID: 1, Callsign: call}, s.user(1, call), nil
	}
	for name, body := range map[string]string{
		"UpperCaseName":  `{"CALLSIGN":"K1A","password":"correct horse"}`,
		"MixedCaseName":  `{"callsign":"K1A","Password":"correct horse"}`,
		"DuplicateKey":   `{"callsign":"K1A","callsign":"K1B","password":"correct horse"}`,
		"Array":          `[]`,
		"String":         `"K1A"`,
		"Number":         `42`,
		"NestedObject":   `{"callsign":{"a":1},"password":"correct horse"}`,
		"NumberForText":  `{"callsign":12345,"password":"correct horse"}`,
		"InvalidUTF8":    "{\"callsign\":\"K1\xffA\",\"password\":\"correct horse\"}",
		"TrailingGarble": `{"callsign":"K1A","password":"correct horse"} x`,
	} {
		t.Run(name, func(t *testing.T) {
			st, b := s.do("POST", "/api/auth/register", "", strings.NewReader(body), "Content-Type", "application/json")
			if st != 400 {
				t.Fatalf("status %d (%s), want 400", st, b)
			}
			for _, goWord := range []string{"api.", "Request", "struct", "Go ", "int64", "map[", "interface"} {
				if strings.Contains(string(b), goWord) {
					t.Errorf("message %s names a Go type (%q)", b, goWord)
				}
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		st, b := s.do("POST", "/api/auth/register", "", strings.NewReader(`{"callsign":"K1OK","password":"correct horse"}`), "Content-Type", "application/json")
		if st != 201 {
			t.Fatalf("status %d (%s), want 201", st, b)
		}
	})
}

// TestMetricsListener_Headers: the separate metrics listener answers with
// the same security headers as the API, for its refusals too.
func TestMetricsListener_Headers(t *testing.T) {
	s := newTestServer(t, options{metricsSeparate: true, operatorToken: "an operator token of 32 characters"})
	for _, path := range []string{"/metrics", "/elsewhere"} {
		resp, err := http.Get(s.MetricsURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s (%d): %s = %q, want %q", path, resp.StatusCode, h, got, want)
			}
		}
	}
}

// TestLogin_Throttled: after the free attempts, logins for a callsign back
// off with 429 and a Retry-After, whichever address they come from.
func TestLogin_Throttled(t *testing.T) {
	frozen := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newTestServer(t, options{now: func() time.Time { return frozen }})
	s.register("DL1OWN")
	login := func(password string) *http.Response {
		req, _ := http.NewRequest("POST", s.URL()+"/api/auth/login", strings.NewReader(`{"callsign":"DL1OWN","password":"`+password+`"}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 6 {
		if resp := login("wrong horse"); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := login("wrong horse")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("7th attempt: %d, Retry-After %q; want 429, 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestMaxConnections: at the cap, a new connection closes the one that has
// waited longest without a request, so that idle connections cannot keep
// clients out; when every connection is in the middle of a request, it
// waits for one to end.
func TestMaxConnections(t *testing.T) {
	get := func(c net.Conn, r *bufio.Reader) (*http.Response, error) {
		fmt.Fprintf(c, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	t.Run("IdleMakeRoom", func(t *testing.T) {
		s := newTestServer(t, options{maxConnections: 2})
		_, ra := s.rawConn() // opened, never used
		b, rb := s.rawConn()
		c, rc := s.rawConn()
		if resp, err := get(c, rc); err != nil || resp.StatusCode != 200 {
			t.Fatalf("new client with the cap taken by idle connections: %v %v, want 200", resp, err)
		}
		if _, err := ra.ReadByte(); err == nil {
			t.Error("the oldest idle connection is still open")
		}
		if resp, err := get(b, rb); err != nil || resp.StatusCode != 200 {
			t.Errorf("the younger idle connection: %v %v, want it kept and served", resp, err)
		}
	})
	t.Run("BusyWait", func(t *testing.T) {
		s := newTestServer(t, options{maxConnections: 1})
		a, ra := s.rawConn()
		body := `{"callsign":"K1A","password":"wrong horse"}`
		fmt.Fprintf(a, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
		// "100 Continue" says the handler is reading the body: a is in the
		// middle of its request (no longer idle) and holds the only slot.
		if cont, err := http.ReadResponse(ra, nil); err != nil || cont.StatusCode != 100 {
			t.Fatalf("want 100 Continue first, got %v %v", cont, err)
		}
		fmt.Fprint(a, body[:10])
		b, rb := s.rawConn()
		b.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		// The check that b waits uses a deadline: a slow machine can only
		// make it pass wrongly, never fail wrongly.
		if resp, err := get(b, rb); err == nil {
			t.Fatalf("second connection served (%s) while the first is mid-request in the only slot", resp.Status)
		}
		b.SetReadDeadline(time.Time{})
		fmt.Fprint(a, body[10:])
		if resp, err := http.ReadResponse(ra, nil); err != nil || resp.StatusCode != 401 {
			t.Fatalf("first connection's request: %v %v, want 401", resp, err)
		}
		resp, err := http.ReadResponse(rb, nil)
		if err != nil {
			t.Fatalf("second connection once the first is idle: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("status %d, want 200", resp.StatusCode)
		}
	})
}

// TestSecurityHeaders_Refusals: refusals carry the security headers too.
func TestSecurityHeaders_Refusals(t *testing.T) {
	s := newTestServer(t, options{authLimit: "2/h"}) // the 413 and the 401 spend it
	for _, tc := range []struct {
		method, path string
		body         string
		want         int
	}{
		{"GET", "/nowhere", "", 404},
		{"POST", "/livez", "", 405},
		{"POST", "/api/auth/register", `{"callsign":"` + strings.Repeat("x", 100<<10) + `"}`, 413},
		{"POST", "/api/auth/login", `{}`, 401},
		{"POST", "/api/auth/login", `{}`, 429},
	} {
		req, _ := http.NewRequest(tc.method, s.URL()+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
		for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %s (%d): no %s", tc.method, tc.path, resp.StatusCode, h)
			}
		}
	}
}
