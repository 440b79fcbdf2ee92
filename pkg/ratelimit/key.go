package ratelimit

import (
	"net/http"
	"net/netip"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// key identifies a client: the address of its awardtracker.ClientPrefix,
// an IPv4 one as an IPv4-mapped IPv6 address.
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
	return key(awardtracker.ClientPrefix(a).Addr().As16())
}
