package dcl_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/internal/hosttest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/dcl/dcltest"
	"github.com/awardtracker/awardtracker/pkg/redact"
)

// recorder is another host: it records the bodies that reach it and
// answers a valid, empty export.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, req.Method+" "+string(b))
	r.mu.Unlock()
	fmt.Fprint(w, `{"status":"ok","adif":""}`)
}

func (r *recorder) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies
}

// A 307 or 308 would make Go POST the key again to the other host; every
// redirect is refused instead.
func TestClient_RefusesRedirects(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			other := &recorder{}
			otherSrv := hosttest.NewOtherHost(t, other)
			dclSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, otherSrv.URL+dcltest.Path, code)
			}))
			defer dclSrv.Close()

			rep, err := dcl.New(dcl.Options{URL: dclSrv.URL + dcltest.Path}).Fetch(context.Background(), key, "")
			if got := other.received(); len(got) != 0 {
				t.Fatalf("the other host received %q, want nothing", got)
			}
			if rep != nil || !errors.Is(err, dcl.ErrUnexpected) || !strings.Contains(awardtracker.ErrorMessage(err), "redirect, refused") ||
				awardtracker.UpstreamCodeOf(err) != awardtracker.UpstreamRedirect {
				t.Fatalf("got %v, %v; want ErrUnexpected with code %s (redirect refused)", rep, err, awardtracker.UpstreamRedirect)
			}
		})
	}
}

// Answers that echo the request never put the key, in any spelling, into
// the error.
func TestClient_EchoedKey(t *testing.T) {
	const key = "k3y&0123+456789<x>"
	for name, tt := range map[string]struct {
		status int
		body   string
	}{
		"HTTP400Raw":        {400, `{"error":"bad request ` + key + `"}`},
		"HTTP400JSON":       {400, `{"error":"bad request {\"key\":\"k3y\u00260123+456789\u003cx\u003e\"}"}`},
		"HTTP404HTML":       {404, "<html><body>Not found: key=" + html.EscapeString(key) + "</body></html>"},
		"NotJSONURL":        {200, "<html>Cannot handle key=" + url.QueryEscape(key) + "</html>"},
		"StatusErrorEscape": {200, `{"status":"error","message":"unknown key ` + strings.ReplaceAll(key, "&", `\u0026`) + `"}`},
		"AcrossTheCut":      {400, strings.Repeat("x", 70) + " key " + key},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			_, err := dcl.New(dcl.Options{URL: srv.URL}).Fetch(context.Background(), key, "")
			if !errors.Is(err, dcl.ErrUnexpected) {
				t.Fatalf("got %v, want ErrUnexpected", err)
			}
			if redact.Contains(err.Error(), key) || strings.Contains(err.Error(), "k3y") {
				t.Fatalf("error %q holds the key", err)
			}
		})
	}
}
