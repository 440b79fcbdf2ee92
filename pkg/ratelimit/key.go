package ratelimit

import (
	"net/http"
	"net/netip"
)

// key identifies a client: an IPv4 address as an IPv4-mapped IPv6 address,
// an IPv6 address with its interface identifier (last 64 bits) zeroed.
type key [16]byte

// unknownKey is shared by every request whose address cannot be parsed. It is
// a multicast address, which no TCP peer can have.
var unknownKey = key{0: 0xff, 1: 0xff, 15: 0xff}

func (l *Limiter) keyOf(r *http.Request) key {
	if l.extract != nil {
		return keyOfString(l.extract(r))
	}
	return keyOfString(r.RemoteAddr)
}

// keyOfString accepts "host:port", "[v6]:port" or a bare address.
func keyOfString(s string) key {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(s); err != nil {
		return unknownKey
	}
	return keyOfAddr(a)
}

func keyOfAddr(a netip.Addr) key {
	// An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d; masking
	// that to /64 would put every IPv4 client in one bucket.
	a = a.Unmap()
	k := key(a.As16())
	if a.Is6() {
		clear(k[8:])
	}
	return k
}
