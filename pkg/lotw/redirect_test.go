package lotw_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/internal/hosttest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/redact"
)

// recorder is another host: it records every request that reaches it and
// answers a valid, empty LoTW report (which the old client applied as the
// user's report).
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.mu.Unlock()
	fmt.Fprint(w, lotw.Preamble+"\n\n<PROGRAMID:4>LoTW\n<APP_LoTW_NUMREC:1>0\n<eoh>\n<APP_LoTW_EOF>\n")
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs
}

// A redirect is refused: neither the password (in the query or a Referer)
// nor the request reaches the other host, and its answer is not applied.
func TestClient_RefusesRedirects(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			other := &recorder{}
			otherSrv := hosttest.NewOtherHost(t, other)
			lotwSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, otherSrv.URL+"/lotwuser/lotwreport.adi", code)
			}))
			defer lotwSrv.Close()

			rep, err := lotw.New(lotw.Options{URL: lotwSrv.URL + lotwtest.Path}).Fetch(context.Background(), login, password, "")
			if err == nil {
				rep.Close()
			}
			if got := other.requests(); len(got) != 0 {
				t.Fatalf("the other host received %d requests (Referer %q, query %q), want none", len(got), got[0].Referer(), got[0].URL.RawQuery)
			}
			if rep != nil || !errors.Is(err, lotw.ErrUnexpected) || !strings.Contains(awardtracker.ErrorMessage(err), "redirect, refused") ||
				awardtracker.UpstreamCodeOf(err) != awardtracker.UpstreamRedirect {
				t.Fatalf("got %v, %v; want ErrUnexpected with code %s (redirect refused)", rep, err, awardtracker.UpstreamRedirect)
			}
			assertNoSecret(t, err)
		})
	}

	t.Run("CallersClientKeepsItsPolicy", func(t *testing.T) {
		hc := &http.Client{}
		lotw.New(lotw.Options{HTTPClient: hc})
		if hc.CheckRedirect != nil {
			t.Fatal("New changed the caller's http.Client")
		}
	})
}

// Pages that echo the request: whatever the spelling of the password, no
// part of it reaches the error (job error, log, last_error).
func TestClient_EchoedPassword(t *testing.T) {
	q := url.QueryEscape(password)
	for name, page := range map[string]string{
		"Raw":          "<html><body>Bad request " + password + "</body></html>",
		"QueryEscaped": "<html><body>Unknown parameter in login=N0CALL&password=" + q + "</body></html>",
		"PathEscaped":  "<html>GET /lotwreport.adi/" + url.PathEscape(password) + " not found</html>",
		"HTMLEscaped":  "<html><p>Request: login=N0CALL&amp;password=" + html.EscapeString(password) + "</p></html>",
		"HTMLOfQuery":  "<html><p>" + html.EscapeString("/lotwuser/lotwreport.adi?login=N0CALL&password="+q) + "</p></html>",
		// The old code cut at 80 characters, then removed the password:
		// the half before the cut survived.
		"AcrossTheCut": "<html><head><title>Error</title></head><body>Your request password=" + password + "</body></html>",
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, page) }))
			defer srv.Close()
			_, err := lotw.New(lotw.Options{URL: srv.URL}).Fetch(context.Background(), login, password, "")
			if !errors.Is(err, lotw.ErrUnexpected) {
				t.Fatalf("got %v, want ErrUnexpected", err)
			}
			assertNoSecret(t, err)
			if redact.Contains(err.Error(), password) {
				t.Fatalf("error %q holds the password in some spelling", err)
			}
			if !strings.Contains(err.Error(), "not quoted") {
				t.Fatalf("error %q, want it to say the page was not quoted", err)
			}
		})
	}
}
