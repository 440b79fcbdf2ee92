package lotw_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

const (
	login    = "N0CALL"
	password = "s3cr&t pass=wörd"
)

func newServer(t *testing.T) (*lotwtest.Server, *lotw.Client) {
	t.Helper()
	s := lotwtest.NewSampleServer(login, password)
	t.Cleanup(s.Close)
	return s, lotw.New(lotw.Options{URL: s.URL, Version: "test"})
}

// collect drains a report: the records, and the stream's final error.
func collect(t *testing.T, rep awardtracker.Report) ([]awardtracker.ImportRecord, error) {
	t.Helper()
	defer rep.Close()
	var out []awardtracker.ImportRecord
	for rec, err := range rep.Records() {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func TestClient_Download(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s, c := newServer(t)
		rep, err := c.Fetch(context.Background(), login, password, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.NumRec != 6 || rep.LastQSL != "2025-09-20 01:39:22" || rep.Cursor() != rep.LastQSL {
			t.Fatalf("header: NumRec %d, LastQSL %q, Cursor %q; want 6, 2025-09-20 01:39:22", rep.NumRec, rep.LastQSL, rep.Cursor())
		}
		if !strings.HasPrefix(rep.Preamble, lotw.Preamble) {
			t.Fatalf("preamble = %q", rep.Preamble)
		}
		recs, err := collect(t, rep)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 6 || rep.Fetched() != 6 {
			t.Fatalf("got %d records (Fetched %d), want 6", len(recs), rep.Fetched())
		}
		first := recs[0]
		if first.Err != nil || first.Index != 1 {
			t.Fatalf("first record: %+v", first)
		}
		q := first.QSO
		if q.Call != "UA98GDU" || q.Band != "6m" || q.Mode != "MFSK" || q.Submode != "FT4" || q.ModeGroup != awardtracker.ModeGroupData ||
			!q.LoTWConfirmed || q.LoTWConfirmedAt == nil || q.Source != awardtracker.SourceLoTW || q.DXCC != 15 ||
			!q.Start.Equal(time.Date(2024, 8, 27, 10, 25, 19, 0, time.UTC)) {
			t.Fatalf("first QSO = %+v", q)
		}

		reqs := s.Requests()
		if len(reqs) != 1 {
			t.Fatalf("got %d requests, want 1", len(reqs))
		}
		r := reqs[0]
		want := map[string]string{
			"login": login, "password": password, "qso_query": "1", "qso_qsl": "yes", "qso_qslsince": lotw.FirstSince,
			"qso_qsldetail": "yes", "qso_mydetail": "yes", "qso_withown": "yes",
		}
		for k, v := range want {
			if got := r.Query.Get(k); got != v {
				t.Errorf("parameter %s = %q, want %q", k, got, v)
			}
		}
		if len(r.Query) != len(want) {
			t.Errorf("parameters = %v, want exactly %v", r.Query, want)
		}
		if strings.Contains(r.RawQuery, " ") || strings.Contains(r.RawQuery, "&t") || strings.Contains(r.RawQuery, "ö") {
			t.Errorf("raw query %q is not URL-encoded", r.RawQuery)
		}
		if r.Method != http.MethodGet || r.Proto != "HTTP/1.1" || r.UserAgent != "awardtracker/test" {
			t.Errorf("request %s %s UA %q, want GET HTTP/1.1 awardtracker/test", r.Method, r.Proto, r.UserAgent)
		}
	})

	t.Run("Since", func(t *testing.T) {
		// Inclusive: the cursor itself returns its record again.
		s, c := newServer(t)
		rep, err := c.Fetch(context.Background(), login, password, "2024-08-30 19:11:57")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := collect(t, rep)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[1].QSO.Call != "JA2UFA" {
			t.Fatalf("got %d records, want 2 ending with the boundary record JA2UFA", len(recs))
		}
		if got := s.Requests()[0].Query.Get("qso_qslsince"); got != "2024-08-30 19:11:57" {
			t.Fatalf("qso_qslsince = %q", got)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		_, c := newServer(t)
		rep, err := c.Fetch(context.Background(), login, password, "2026-01-01")
		if err != nil {
			t.Fatal(err)
		}
		if rep.NumRec != 0 || rep.Cursor() != "" {
			t.Fatalf("NumRec %d, Cursor %q; want 0, empty", rep.NumRec, rep.Cursor())
		}
		recs, err := collect(t, rep)
		if err != nil || len(recs) != 0 {
			t.Fatalf("got %d records, %v; want none", len(recs), err)
		}
	})

	t.Run("EmptyWithoutHeader", func(t *testing.T) {
		// LoTW's other "nothing new": no <eoh>, no APP_LoTW_NUMREC.
		s, c := newServer(t)
		s.SetEmptyShape(lotwtest.EmptyNoHeader)
		rep, err := c.Fetch(context.Background(), login, password, "2026-01-01")
		if err != nil {
			t.Fatal(err)
		}
		if rep.NumRec != 0 || rep.Cursor() != "" {
			t.Fatalf("NumRec %d, Cursor %q; want 0, empty", rep.NumRec, rep.Cursor())
		}
		recs, err := collect(t, rep)
		if err != nil || len(recs) != 0 {
			t.Fatalf("got %d records, %v; want none", len(recs), err)
		}
	})

	t.Run("UTF8Comment", func(t *testing.T) {
		s, c := newServer(t)
		s.SetFault(lotwtest.FaultUTF8Comment)
		rep, err := c.Fetch(context.Background(), login, password, "")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := collect(t, rep)
		if err != nil || len(recs) != 6 || recs[0].QSO.Call != "UA98GDU" {
			t.Fatalf("got %d records, %v", len(recs), err)
		}
	})

	t.Run("MissingCredentials", func(t *testing.T) {
		s, c := newServer(t)
		if _, err := c.Fetch(context.Background(), login, "", ""); awardtracker.ErrorCode(err) != awardtracker.EINVALID {
			t.Fatalf("error %v, want EINVALID", err)
		}
		if n := len(s.Requests()); n != 0 {
			t.Fatalf("%d requests sent, want 0", n)
		}
	})
}

func TestClient_Faults(t *testing.T) {
	for _, tt := range []struct {
		name     string
		fault    lotwtest.Fault
		password string
		want     error
		code     awardtracker.UpstreamCode // what the syncer sees
		atHeader bool                      // Download fails rather than the record stream
		msg      string
	}{
		{"WrongPassword", lotwtest.FaultNone, "wrong", lotw.ErrAuth, awardtracker.UpstreamAuth, true, "rejected the username or password"},
		{"BadLogin", lotwtest.FaultBadLogin, password, lotw.ErrAuth, awardtracker.UpstreamAuth, true, "rejected the username or password"},
		{"RateLimited", lotwtest.FaultRateLimited, password, lotw.ErrRateLimited, awardtracker.UpstreamRateLimited, true, "Page Request Limit"},
		{"Unavailable", lotwtest.FaultUnavailable, password, lotw.ErrUnavailable, awardtracker.UpstreamUnavailable, true, "HTTP 503"},
		{"NotAReport", lotwtest.FaultNotAReport, password, lotw.ErrUnexpected, awardtracker.UpstreamUnexpected, true, "<title>Maintenance</title>"},
		{"Truncated", lotwtest.FaultTruncated, password, lotw.ErrTruncated, awardtracker.UpstreamTruncated, false, "without <APP_LoTW_EOF>"},
		{"NumRecMismatch", lotwtest.FaultNumRecMismatch, password, lotw.ErrTruncated, awardtracker.UpstreamTruncated, false, "APP_LoTW_NUMREC says 7"},
		{"Reset", lotwtest.FaultReset, password, lotw.ErrUnavailable, awardtracker.UpstreamUnavailable, false, "LoTW unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newServer(t)
			s.SetFault(tt.fault)
			// Download, the syncer's interface: a failure is a nil
			// interface, not a typed nil.
			rep, err := c.Download(context.Background(), login, tt.password, "")
			switch {
			case tt.fault == lotwtest.FaultReset:
				// The reset may reach the client before or after the header.
				if err == nil {
					_, err = collect(t, rep)
				}
			case !tt.atHeader:
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				_, err = collect(t, rep)
			case rep != nil:
				t.Fatalf("Download returned a report with error %v", err)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if got := awardtracker.UpstreamCodeOf(err); got != tt.code {
				t.Fatalf("upstream code %q, want %q", got, tt.code)
			}
			if msg := awardtracker.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q, want it to contain %q", msg, tt.msg)
			}
			assertNoSecret(t, err)
		})
	}
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{password, "s3cr", "pass%3Dw", "pass=w"} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains the password", err)
		}
	}
}

// Fixtures: the spec's example answers, served verbatim.
func TestClient_Fixtures(t *testing.T) {
	for _, tt := range []struct {
		file    string
		want    error
		records int
	}{
		{"lotw-report.adi", nil, 6},
		{"lotw-report-empty.adi", nil, 0},
		{"lotw-report-empty-noeoh.adi", nil, 0},
		{"lotw-report-truncated.adi", lotw.ErrTruncated, -1},
		{"lotw-bad-login.html", lotw.ErrAuth, -1},
		{"lotw-rate-limited.html", lotw.ErrRateLimited, -1},
		{"own-log.adi", lotw.ErrUnexpected, -1}, // ADIF, but no NUMREC: not a LoTW report
	} {
		t.Run(tt.file, func(t *testing.T) {
			body, err := adiftest.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
			defer srv.Close()
			c := lotw.New(lotw.Options{URL: srv.URL})
			rep, err := c.Fetch(context.Background(), login, password, "")
			var recs []awardtracker.ImportRecord
			if err == nil {
				recs, err = collect(t, rep)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if tt.records >= 0 && len(recs) != tt.records {
				t.Fatalf("got %d records, want %d", len(recs), tt.records)
			}
		})
	}
}

func TestClient_TransportErrors(t *testing.T) {
	t.Run("ConnectionRefused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL + lotwtest.Path
		srv.Close()
		_, err := lotw.New(lotw.Options{URL: u}).Fetch(context.Background(), login, password, "")
		if !errors.Is(err, lotw.ErrUnavailable) {
			t.Fatalf("error %v, want ErrUnavailable", err)
		}
		assertNoSecret(t, err)
	})

	t.Run("Canceled", func(t *testing.T) {
		s, c := newServer(t)
		s.Drip(2048) // the header and a record, then a stall until the client goes away
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			rep, err := c.Fetch(ctx, login, password, "")
			if err == nil {
				rep.Close()
			}
			errc <- err
		}()
		for s.BytesSent() == 0 {
			runtime.Gosched()
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})

	t.Run("IdleTimeout", func(t *testing.T) {
		s, _ := newServer(t)
		s.Drip(1024) // never fed: the server stalls after the first KiB
		c := lotw.New(lotw.Options{URL: s.URL, IdleTimeout: 20 * time.Millisecond})
		rep, err := c.Fetch(context.Background(), login, password, "")
		if err == nil {
			_, err = collect(t, rep)
		}
		if !errors.Is(err, lotw.ErrUnavailable) || !strings.Contains(err.Error(), "sent nothing for") {
			t.Fatalf("error %v, want an idle timeout (ErrUnavailable)", err)
		}
	})
}

// A slow report is spooled whole to an unlinked temporary file before
// Download returns (so the caller's database transaction never waits on
// LoTW), and a slow drip succeeds as long as bytes keep coming.
func TestClient_SpoolsSlowReport(t *testing.T) {
	s := lotwtest.NewServer()
	defer s.Close()
	s.AddAccount(login, password)
	const n = 500
	s.SetGenerated(login, n, lotwtest.Generated)
	gate := s.Drip(16 << 10)
	done := make(chan struct{})
	defer close(done)
	go func() { // feed the gate one chunk at a time, as a slow server would
		for {
			select {
			case gate <- struct{}{}:
			case <-done:
				return
			}
		}
	}()
	spool := t.TempDir()
	c := lotw.New(lotw.Options{URL: s.URL, SpoolDir: spool})
	rep, err := c.Fetch(context.Background(), login, password, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	sent := s.BytesSent()
	if files, _ := os.ReadDir(spool); len(files) != 0 {
		t.Errorf("spool directory holds %d files, want 0 (the spool file is unlinked)", len(files))
	}
	got := 0
	for rec, err := range rep.Records() {
		if err != nil {
			t.Fatalf("after %d records: %v", got, err)
		}
		if rec.Err != nil {
			t.Fatalf("record %d rejected: %v", rec.Index, rec.Err)
		}
		got++
	}
	if got != n {
		t.Fatalf("got %d records, want %d", got, n)
	}
	if after := s.BytesSent(); after != sent {
		t.Errorf("the server sent %d more bytes after Download returned: it should have been spooled whole", after-sent)
	}
}

// TestClient_CutOff: an answer that starts like a report but lacks the
// final <APP_LoTW_EOF> is truncated, whatever shape its header has.
func TestClient_CutOff(t *testing.T) {
	const head = lotw.Preamble + "\nGenerated at 2026-11-27 12:00:00\n\n<PROGRAMID:4>LoTW\n"
	for _, tt := range []struct{ name, body string }{
		{"EmptyWithoutHeader", head},
		{"EmptyWithHeader", head + "<APP_LoTW_NUMREC:1>0\n<eoh>\n"},
		{"BetweenRecords", head + "<APP_LoTW_NUMREC:1>2\n<eoh>\n<CALL:4>K1AB<BAND:3>20M<MODE:2>CW<QSO_DATE:8>20240101<TIME_ON:4>1200<eor>\n"},
		{"InsideAValue", head + "<APP_LoTW_NUMREC:1>1\n<eoh>\n<CALL:4>K1AB<BAND:3>20"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(tt.body)) }))
			defer srv.Close()
			rep, err := lotw.New(lotw.Options{URL: srv.URL}).Fetch(context.Background(), login, password, "")
			if err == nil {
				_, err = collect(t, rep)
			}
			if !errors.Is(err, lotw.ErrTruncated) {
				t.Fatalf("error %v, want ErrTruncated", err)
			}
		})
	}
}

// TestClient_CorpusEmptyReports serves LoTW's two real "nothing new" answers
// from ../shared/adif-corpus (AWARDTRACKER_ADIF_CORPUS overrides; skipped
// when absent): both are complete reports of 0 records.
func TestClient_CorpusEmptyReports(t *testing.T) {
	dir := os.Getenv("AWARDTRACKER_ADIF_CORPUS")
	if dir == "" {
		dir = "../../../shared/adif-corpus"
	}
	for _, name := range []string{"lotw-report-g8jft-empty.adi", "lotw-report-k0swe-2020-empty-numrec0.adi"} {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(dir + "/" + name)
			if err != nil {
				t.Skipf("corpus file not found: %v", err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
			defer srv.Close()
			rep, err := lotw.New(lotw.Options{URL: srv.URL}).Fetch(context.Background(), login, password, "2022-12-05")
			if err != nil {
				t.Fatal(err)
			}
			recs, err := collect(t, rep)
			if err != nil || len(recs) != 0 || rep.NumRec != 0 || rep.Cursor() != "" {
				t.Fatalf("got %d records (NumRec %d, cursor %q), %v; want an empty complete report", len(recs), rep.NumRec, rep.Cursor(), err)
			}
		})
	}
}
