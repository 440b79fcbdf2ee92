package api

import (
	"net"
	"net/http"
	"sync"
)

// connCap is a listener that keeps at most max connections open, and makes
// room for a new one by closing the connection that has waited longest
// without a request in progress (just opened, or idle between keep-alive
// requests). Only when every connection is in the middle of a request does
// a new one wait (in the kernel's accept queue meanwhile).
//
// golang.org/x/net/netutil.LimitListener caps connections too, but a crowd
// of idle ones would then keep every new client waiting until they time out;
// it cannot close them, as it does not see the server's connection states.
// Here the server reports them through http.Server.ConnState (connState).
type connCap struct {
	net.Listener
	slots chan struct{}          // one token per open connection
	idle  chan struct{}          // a connection became idle (for a waiting Accept)
	done  chan struct{}          // closed by Close
	once  sync.Once              // guards done
	mu    sync.Mutex             // guards below
	free  map[*cappedConn]uint64 // connections without a request in progress, and when (seq) they became so
	seq   uint64
}

func newConnCap(ln net.Listener, max int) *connCap {
	return &connCap{
		Listener: ln,
		slots:    make(chan struct{}, max),
		idle:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		free:     make(map[*cappedConn]uint64),
	}
}

// Accept accepts a connection first and then waits for its slot, so that an
// idle connection is closed only for a client that is really there.
func (l *connCap) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		select {
		case l.slots <- struct{}{}:
			cc := &cappedConn{Conn: c, l: l}
			l.setFree(cc, true)
			return cc, nil
		default:
		}
		l.closeOldestFree()
		select {
		case l.slots <- struct{}{}:
			cc := &cappedConn{Conn: c, l: l}
			l.setFree(cc, true)
			return cc, nil
		case <-l.idle: // one to close now: go round
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
}

func (l *connCap) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// connState is the http.Server's ConnState hook.
func (l *connCap) connState(c net.Conn, st http.ConnState) {
	cc, ok := c.(*cappedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateIdle:
		l.setFree(cc, true)
		select {
		case l.idle <- struct{}{}:
		default:
		}
	case http.StateActive, http.StateHijacked, http.StateClosed:
		l.setFree(cc, false)
	}
}

func (l *connCap) setFree(c *cappedConn, free bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if free {
		l.seq++
		l.free[c] = l.seq
	} else {
		delete(l.free, c)
	}
}

// closeOldestFree closes the connection that has been without a request
// longest, if any.
func (l *connCap) closeOldestFree() {
	l.mu.Lock()
	var oldest *cappedConn
	for c, seq := range l.free {
		if oldest == nil || seq < l.free[oldest] {
			oldest = c
		}
	}
	delete(l.free, oldest)
	l.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
}

// cappedConn gives its slot back when it is closed, by the server or by
// closeOldestFree, whichever comes first.
type cappedConn struct {
	net.Conn
	l    *connCap
	once sync.Once
}

func (c *cappedConn) Close() error {
	c.once.Do(func() {
		c.l.setFree(c, false)
		<-c.l.slots
	})
	return c.Conn.Close()
}
