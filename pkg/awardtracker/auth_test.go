package awardtracker_test

import (
	"net/netip"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func TestClientPrefix(t *testing.T) {
	for _, tt := range []struct {
		addr string // "" for the zero Addr
		want string // "" for the zero Prefix
	}{
		{"192.0.2.1", "192.0.2.1/32"},
		{"::ffff:192.0.2.1", "192.0.2.1/32"}, // an IPv4 peer on a dual-stack socket
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ee:dd:cc", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"", ""},
	} {
		var a netip.Addr
		if tt.addr != "" {
			a = netip.MustParseAddr(tt.addr)
		}
		got := awardtracker.ClientPrefix(a)
		if tt.want == "" {
			if got.IsValid() {
				t.Errorf("ClientPrefix(zero Addr) = %s, want the zero Prefix", got)
			}
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ClientPrefix(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}
