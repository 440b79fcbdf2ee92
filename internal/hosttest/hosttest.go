// Package hosttest serves a test handler on a loopback address other than
// the 127.0.0.1 of httptest's servers, so that a client's redirect from its
// upstream goes to another host, as it would to an attacker's. It is
// imported by tests only.
package hosttest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// NewOtherHost serves h on 127.0.0.2, or on another port of 127.0.0.1
// where 127.0.0.2 cannot be bound (not every system routes all of
// 127.0.0.0/8 to loopback), and closes the server at cleanup.
func NewOtherHost(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
