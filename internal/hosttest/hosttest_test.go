package hosttest_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/awardtracker/awardtracker/internal/hosttest"
)

// TestNewOtherHost: the handler answers on a loopback address, and the
// server is closed once the test that started it is over.
func TestNewOtherHost(t *testing.T) {
	var srvURL string
	t.Run("Serve", func(t *testing.T) {
		srv := hosttest.NewOtherHost(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "other")
		}))
		srvURL = srv.URL
		u, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			t.Fatalf("server on %s, want a loopback address", u.Host)
		}
		res, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if b, _ := io.ReadAll(res.Body); string(b) != "other" {
			t.Errorf("got %q, want the handler's answer %q", b, "other")
		}
	})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := c.Get(srvURL); err == nil {
		res.Body.Close()
		t.Errorf("%s still answers after the test that started it ended", srvURL)
	}
}
