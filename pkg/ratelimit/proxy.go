package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// ParseTrustedProxies reads a --web.trusted-proxies value: addresses or
// CIDR ranges separated by commas ("10.0.0.0/8, 192.0.2.7, fd00::/8").
// An empty value means no trusted proxy.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR range such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// TrustedProxies returns an extractor of the client's address that believes
// forwarding headers only when the TCP peer is in one of proxies: then the
// client is the nearest address in X-Forwarded-For that is not itself a
// trusted proxy (read from the right, as each proxy appends the address it
// saw; entries further left are the client's own word), or X-Real-IP when
// no X-Forwarded-For came. A peer outside proxies is the client itself,
// whatever headers it sends. With no proxies, only the peer counts.
//
// Echo's extractors do the header work; their defaults would also trust
// every loopback, link-local and private address, which is switched off
// here: on a shared network those are not proxies.
func TrustedProxies(proxies []netip.Prefix) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   net.IP(p.Addr().AsSlice()),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	xff := echo.ExtractIPFromXFFHeader(opts...)
	realIP := echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if len(r.Header.Values(echo.HeaderXForwardedFor)) == 0 {
			return realIP(r)
		}
		return xff(r)
	}
}
