package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/demo"
)

var (
	loadDuration    = flag.Duration("load.duration", 5*time.Second, "how long TestLoad drives traffic (make load: 60s)")
	loadConnections = flag.Int("load.connections", 64, "concurrent connections in TestLoad")
)

// TestLoad drives mixed traffic (stats, awards, QSO list, import, health,
// metrics) at 64 connections against the real command in a child process
// on loopback, then a cardinality attack. It checks that no request gets a
// 5xx, that memory is stable (RSS at the end within 20% of RSS after the
// warm-up) and that random paths and methods add no series. It reports
// throughput and P99; `make load` runs it for 60 s.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	dir := t.TempDir()
	c := startChild(t, "--demo", "--db.path="+filepath.Join(dir, "load.db"), "--sync.interval=0",
		"--web.rate-limit.auth=0")
	token := func() string {
		var resp struct{ Token string }
		call(t, "POST", c.URL+"/api/auth/login", "", map[string]string{"callsign": demo.Callsign, "password": demo.Password}, &resp)
		return resp.Token
	}()
	var small bytes.Buffer
	if err := generatedADIF(&small, 20); err != nil {
		t.Fatal(err)
	}
	type target struct {
		weight       int
		method, path string
		body         []byte
	}
	targets := []target{
		{30, "GET", "/api/qsos/stats", nil},
		{15, "GET", "/api/awards", nil},
		{5, "GET", "/api/awards/vucc", nil},
		{20, "GET", "/api/qsos?limit=50&band=20m", nil},
		{10, "GET", "/api/health", nil},
		{5, "GET", "/metrics", nil},
		{5, "POST", "/api/qsos/import", small.Bytes()},
		{10, "GET", "/api/qsos?limit=20&confirmed=false&offset=100", nil},
	}
	total := 0
	for _, tg := range targets {
		total += tg.weight
	}
	pick := func(r *rand.Rand) target {
		n := r.IntN(total)
		for _, tg := range targets {
			if n -= tg.weight; n < 0 {
				return tg
			}
		}
		return targets[0]
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *loadConnections}, Timeout: time.Minute}
	var (
		requests, fivexx, other atomic.Int64
		mu                      sync.Mutex
		latencies               []time.Duration
	)
	warmup := *loadDuration / 6
	start := time.Now()
	deadline := start.Add(*loadDuration)
	var rssWarm int64
	var warmOnce sync.Once
	var wg sync.WaitGroup
	for i := range *loadConnections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			var local []time.Duration
			for time.Now().Before(deadline) {
				tg := pick(r)
				req, _ := http.NewRequest(tg.method, c.URL+tg.path, bytes.NewReader(tg.body))
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					other.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				requests.Add(1)
				switch {
				case resp.StatusCode >= 500:
					fivexx.Add(1)
					t.Logf("%s %s: %d", tg.method, tg.path, resp.StatusCode)
				case resp.StatusCode >= 300:
					other.Add(1)
				}
				if time.Since(start) > warmup {
					warmOnce.Do(func() { rssWarm = rss(t, c.cmd.Process.Pid) })
					local = append(local, d)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	rssEnd := rss(t, c.cmd.Process.Pid)
	elapsed := time.Since(start)
	slices.Sort(latencies)
	q := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))]
	}
	t.Logf("load: %d requests in %v (%.0f req/s) at %d connections; P50 %v, P99 %v; 5xx %d, other non-2xx/errors %d; RSS after warm-up %d MiB, at end %d MiB",
		requests.Load(), elapsed.Round(time.Millisecond), float64(requests.Load())/elapsed.Seconds(), *loadConnections,
		q(0.5), q(0.99), fivexx.Load(), other.Load(), rssWarm>>20, rssEnd>>20)
	if fivexx.Load() != 0 {
		t.Errorf("%d requests answered 5xx", fivexx.Load())
	}
	if other.Load() != 0 {
		t.Errorf("%d requests failed or answered neither 2xx nor 5xx", other.Load())
	}
	// A short run (make test) ends while the heap is still growing to its
	// working size; the memory check is for the 60 s run (make load).
	if *loadDuration >= 30*time.Second && float64(rssEnd) > 1.2*float64(rssWarm) {
		t.Errorf("RSS grew from %d to %d bytes (> 20%%)", rssWarm, rssEnd)
	}

	// Cardinality attack: random paths and methods must share label values.
	// First one request of every kind the attack sends (each method, each
	// kind of path, with and without a token), so that every label
	// combination it can reach exists; then 10,000 random ones add nothing.
	r := rand.New(rand.NewPCG(42, 42))
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW", "PROPFIND"}
	send := func(method string, kind int, withToken bool) {
		path := fmt.Sprintf("/%x/%d?q=%d", r.Uint64(), r.IntN(1000), r.IntN(1000))
		if kind == 1 {
			path = fmt.Sprintf("/api/awards/%x", r.Uint64())
		}
		req, _ := http.NewRequest(method, c.URL+path, nil)
		if withToken {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for _, m := range append(methods, "M1") {
		for kind := range 2 {
			send(m, kind, false)
			send(m, kind, true)
		}
	}
	before, beforeSet := seriesCount(t, c.URL)
	for range 10_000 {
		m := methods[r.IntN(len(methods))]
		if r.IntN(3) == 0 {
			m = fmt.Sprintf("M%d", r.IntN(1_000_000))
		}
		send(m, r.IntN(2), r.IntN(2) == 0)
	}
	if after, afterSet := seriesCount(t, c.URL); after != before {
		var added []string
		for s := range afterSet {
			if !beforeSet[s] {
				added = append(added, s)
			}
		}
		slices.Sort(added)
		if len(added) > 20 {
			added = added[:20]
		}
		t.Errorf("series grew from %d to %d after 10,000 random paths and methods; new: %s", before, after, strings.Join(added, "\n"))
	} else {
		t.Logf("cardinality attack: 10,000 random paths and methods, series stayed at %d", after)
	}
}

// rss reads a process's resident set size from /proc.
func rss(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// seriesCount counts the samples of a /metrics scrape and returns their
// names with labels.
func seriesCount(t *testing.T, url string) (int, map[string]bool) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	set := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line[:strings.LastIndexByte(line, ' ')]] = true
		}
	}
	return len(set), set
}
