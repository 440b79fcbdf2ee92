package ratelimit_test

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/ratelimit"
)

func TestParseTrustedProxies(t *testing.T) {
	got, err := ratelimit.ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.7,fd00::1/8 ,::ffff:198.51.100.1,")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("198.51.100.1/32"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] got %v, want %v", i, got[i], want[i])
		}
	}
	if got, err := ratelimit.ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Errorf("empty: got %v, %v; want none", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0"} {
		if _, err := ratelimit.ParseTrustedProxies(bad); err == nil || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: err %v, want one that explains the syntax", bad, err)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	proxies, err := ratelimit.ParseTrustedProxies("10.0.0.0/8, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	extract := ratelimit.TrustedProxies(proxies)
	for _, tc := range []struct {
		name, peer string
		headers    []string
		want       string
	}{
		{"NoHeaders", "10.1.2.3:5000", nil, "10.1.2.3"},
		{"ViaProxy", "10.1.2.3:5000", []string{"X-Forwarded-For: 203.0.113.9"}, "203.0.113.9"},
		{"ClientsOwnWordIgnored", "10.1.2.3:5000", []string{"X-Forwarded-For: 198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"TwoProxies", "10.1.2.3:5000", []string{"X-Forwarded-For: 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"UntrustedPeerLies", "203.0.113.50:5000", []string{"X-Forwarded-For: 198.51.100.1"}, "203.0.113.50"},
		{"UntrustedPeerLiesRealIP", "203.0.113.50:5000", []string{"X-Real-IP: 198.51.100.1"}, "203.0.113.50"},
		{"PrivateIsNotTrusted", "192.168.1.1:5000", []string{"X-Forwarded-For: 198.51.100.1"}, "192.168.1.1"},
		{"LoopbackIsNotTrusted", "127.0.0.1:5000", []string{"X-Forwarded-For: 198.51.100.1"}, "127.0.0.1"},
		{"RealIPViaProxy", "10.1.2.3:5000", []string{"X-Real-IP: 203.0.113.9"}, "203.0.113.9"},
		{"IPv6Proxy", "[2001:db8::1]:5000", []string{"X-Forwarded-For: 2001:db8:ffff::2, 2a00::7"}, "2a00::7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/x", nil)
			req.RemoteAddr = tc.peer
			for _, h := range tc.headers {
				name, value, _ := strings.Cut(h, ": ")
				req.Header.Set(name, value)
			}
			if got := extract(req); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLimiter_BehindProxy: clients behind a trusted proxy get a bucket
// each; without the option they would all share the proxy's.
func TestLimiter_BehindProxy(t *testing.T) {
	proxies, _ := ratelimit.ParseTrustedProxies("10.0.0.1")
	clk := newClock()
	l := ratelimit.New(ratelimit.Policy{Name: "auth", Rate: 5.0 / 60, Burst: 5}, nil,
		ratelimit.WithClock(clk.Now), ratelimit.WithIPExtractor(ratelimit.TrustedProxies(proxies)))
	e := server(l)
	if got := allowed(t, e, "10.0.0.1:4000", 10, "X-Forwarded-For: 203.0.113.1"); got != 5 {
		t.Errorf("first client: %d allowed, want 5", got)
	}
	if got := allowed(t, e, "10.0.0.1:4000", 10, "X-Forwarded-For: 203.0.113.2"); got != 5 {
		t.Errorf("second client through the same proxy: %d allowed, want its own 5", got)
	}
	// A client reaching the service directly cannot pick a key.
	if got := allowed(t, e, "203.0.113.3:4000", 10, "X-Forwarded-For: 198.51.100.1"); got != 5 {
		t.Errorf("direct client: %d allowed, want 5", got)
	}
	if got := allowed(t, e, "203.0.113.3:4000", 10, "X-Forwarded-For: 198.51.100.2"); got != 0 {
		t.Errorf("direct client with another forged header: %d allowed, want 0 (same bucket)", got)
	}
}
