package api

import (
	"errors"
	"net"
	"net/http"
	"testing"
)

// TestConnCap_CloseWhileWaiting: an Accept waiting for a slot returns when
// the listener closes, so that shutdown does not hang on it.
func TestConnCap_CloseWhileWaiting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newConnCap(ln, 1)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	l.connState(first, http.StateActive) // busy: cannot make room
	dial()
	done := make(chan error)
	go func() {
		c, err := l.Accept()
		if c != nil {
			c.Close()
		}
		done <- err
	}()
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("waiting Accept after Close: got %v, want net.ErrClosed", err)
	}
	first.Close()
	if got := len(l.slots); got != 0 {
		t.Errorf("%d slots taken after every connection closed, want 0", got)
	}
}
