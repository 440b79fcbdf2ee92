package dcl_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/dcl/dcltest"
)

const key = "k3y-0123456789"

func collect(t *testing.T, rep *dcl.Report) ([]awardtracker.ImportRecord, error) {
	t.Helper()
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
	s := dcltest.NewSampleServer(key)
	defer s.Close()
	c := dcl.New(dcl.Options{URL: s.URL, Version: "test"})

	t.Run("OK", func(t *testing.T) {
		rep, err := c.Fetch(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := collect(t, rep)
		if err != nil {
			t.Fatal(err)
		}
		// The sample holds 9 records, 5 of them confirmed; cnf_only=T sends those.
		if len(recs) != 5 || rep.Cursor() != "2024-05-21" {
			t.Fatalf("got %d records, cursor %q; want 5, 2024-05-21", len(recs), rep.Cursor())
		}
		q := recs[0].QSO
		if recs[0].Err != nil || q.Call != "DL2CD" || q.DOK != "R01" || !q.DCLConfirmed || q.DCLConfirmedAt == nil ||
			!q.DCLConfirmedAt.Equal(time.Date(2020, 12, 25, 0, 0, 0, 0, time.UTC)) || q.Source != awardtracker.SourceDCL || q.LoTWConfirmed {
			t.Fatalf("first QSO = %+v (%v)", q, recs[0].Err)
		}
		r := s.Requests()[len(s.Requests())-1]
		want := dcl.ExportRequest{Key: key, CnfOnly: "T", QSLSince: dcl.FirstSince, Limit: dcl.DefaultLimit}
		if r.Method != http.MethodPost || r.ContentType != "application/json" || r.Accept != "application/json" ||
			r.UserAgent != "awardtracker/test" || r.Body != want {
			t.Fatalf("request %+v, want POST JSON %+v", r, want)
		}
	})

	t.Run("Since", func(t *testing.T) {
		rep, err := c.Fetch(context.Background(), key, "2024-03-15")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := collect(t, rep)
		if err != nil || len(recs) != 2 || rep.Cursor() != "2024-05-21" {
			t.Fatalf("got %d records, %v, cursor %q; want 2 (inclusive)", len(recs), err, rep.Cursor())
		}
	})

	t.Run("Empty", func(t *testing.T) {
		rep, err := c.Fetch(context.Background(), key, "2030-01-01")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := collect(t, rep)
		if err != nil || len(recs) != 0 || rep.Cursor() != "" {
			t.Fatalf("got %d records, %v, cursor %q", len(recs), err, rep.Cursor())
		}
	})
}

func TestClient_Faults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault dcltest.Fault
		key   string
		want  error
		code  awardtracker.UpstreamCode // what the syncer sees
		msg   string
	}{
		{"UnknownKey", dcltest.FaultNone, "other", dcl.ErrAuth, awardtracker.UpstreamAuth, "rejected the key (HTTP 401)"},
		{"Unauthorized", dcltest.FaultUnauthorized, key, dcl.ErrAuth, awardtracker.UpstreamAuth, "HTTP 401"},
		{"Unavailable", dcltest.FaultUnavailable, key, dcl.ErrUnavailable, awardtracker.UpstreamUnavailable, "HTTP 503"},
		{"BadJSON", dcltest.FaultBadJSON, key, dcl.ErrUnexpected, awardtracker.UpstreamUnexpected, "502 Bad Gateway"},
		{"StatusError", dcltest.FaultStatusError, key, dcl.ErrUnexpected, awardtracker.UpstreamUnexpected, `status "error" "export failed"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := dcltest.NewSampleServer(key)
			defer s.Close()
			s.SetFault(tt.fault)
			// Download, the syncer's interface: a failure is a nil
			// interface, not a typed nil.
			rep, err := dcl.New(dcl.Options{URL: s.URL}).Download(context.Background(), tt.key, "")
			if rep != nil || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, %v; want %v", rep, err, tt.want)
			}
			if got := awardtracker.UpstreamCodeOf(err); got != tt.code {
				t.Fatalf("upstream code %q, want %q", got, tt.code)
			}
			if msg := awardtracker.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q, want it to contain %q", msg, tt.msg)
			}
			if strings.Contains(err.Error(), key) {
				t.Fatalf("error %q contains the key", err)
			}
		})
	}

	t.Run("ConnectionRefused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL + dcltest.Path
		srv.Close()
		_, err := dcl.New(dcl.Options{URL: u}).Fetch(context.Background(), key, "")
		if !errors.Is(err, dcl.ErrUnavailable) {
			t.Fatalf("error %v, want ErrUnavailable", err)
		}
	})

	t.Run("MalformedADIF", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"status":"ok","adif":"<EOH><CALL:6>DL1A"}`))
		}))
		defer srv.Close()
		_, err := dcl.New(dcl.Options{URL: srv.URL}).Fetch(context.Background(), key, "")
		if !errors.Is(err, dcl.ErrUnexpected) {
			t.Fatalf("error %v, want ErrUnexpected", err)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		s := dcltest.NewSampleServer(key)
		defer s.Close()
		_, err := dcl.New(dcl.Options{URL: s.URL, MaxBody: 100}).Fetch(context.Background(), key, "")
		if !errors.Is(err, dcl.ErrUnexpected) || !strings.Contains(err.Error(), "larger than 100 bytes") ||
			awardtracker.UpstreamCodeOf(err) != awardtracker.UpstreamTooLarge {
			t.Fatalf("error %v, want ErrUnexpected with code %s", err, awardtracker.UpstreamTooLarge)
		}
	})
}

// The spec's example answer, served verbatim: it mixes confirmed and
// unconfirmed records, and only the confirmed ones are yielded.
func TestClient_Fixture(t *testing.T) {
	body, err := adiftest.ReadFile("dcl-adiexport-response.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	rep, err := dcl.New(dcl.Options{URL: srv.URL}).Fetch(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := collect(t, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || rep.Fetched() != 9 || rep.Skipped() != 4 || rep.Cursor() != "2024-05-21" {
		t.Fatalf("got %d records, fetched %d, skipped %d, cursor %q; want 5, 9, 4, 2024-05-21", len(recs), rep.Fetched(), rep.Skipped(), rep.Cursor())
	}
	for _, r := range recs {
		if r.Err != nil || !r.QSO.DCLConfirmed || r.QSO.DOK == "" {
			t.Fatalf("record %d: %+v, %v", r.Index, r.QSO, r.Err)
		}
	}
}
