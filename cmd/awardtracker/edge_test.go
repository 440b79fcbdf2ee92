package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestBadFlags_Edge: the HTTP edge's flags refuse values that would leave
// the service open, and say which flag is wrong.
func TestBadFlags_Edge(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"--web.operator-token=short", "--web.operator-token must be at least 16 characters"},
		{"--web.trusted-proxies=proxy.example", "--web.trusted-proxies"},
		{"--web.trusted-proxies=10.0.0.0/33", "--web.trusted-proxies"},
		{"--web.max-connections=-1", "--web.max-connections"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{tc.arg}, &out, &errOut, nil); code != 2 {
			t.Errorf("%s: exit %d, want 2", tc.arg, code)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%s: said %q, want it to mention %q", tc.arg, errOut.String(), tc.want)
		}
	}
}

// TestTrustedProxies: behind a proxy on a trusted address, each client has
// its own login rate limit; without --web.trusted-proxies the proxy's
// clients share one bucket and X-Forwarded-For is ignored.
func TestTrustedProxies(t *testing.T) {
	login := func(url, client string) int {
		req, _ := http.NewRequest("POST", url+"/api/auth/login", strings.NewReader(`{"callsign":"K1A","password":"wrong horse"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("Trusted", func(t *testing.T) {
		url, _ := startService(t, "--web.rate-limit.auth=2/h", "--web.trusted-proxies=127.0.0.1")
		for _, client := range []string{"203.0.113.1", "203.0.113.2"} {
			for i := range 2 {
				if st := login(url, client); st != 401 {
					t.Errorf("client %s, attempt %d: %d, want 401 (own bucket)", client, i+1, st)
				}
			}
			if st := login(url, client); st != 429 {
				t.Errorf("client %s, attempt 3: %d, want 429", client, st)
			}
		}
	})
	t.Run("NotTrusted", func(t *testing.T) {
		url, _ := startService(t, "--web.rate-limit.auth=2/h")
		login(url, "203.0.113.1")
		login(url, "203.0.113.2")
		if st := login(url, "203.0.113.3"); st != 429 {
			t.Errorf("third client through an untrusted proxy: %d, want 429 (one shared bucket)", st)
		}
	})
}
