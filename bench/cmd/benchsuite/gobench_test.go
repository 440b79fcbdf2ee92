package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseBenchstatCSV(t *testing.T) {
	b, err := os.ReadFile("testdata/benchstat.csv")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parseBenchstatCSV(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, unit string
		want       goResult
	}{
		{"StatsCache/op=hit", "sec/op", goResult{Median: 6.999000000000001e-08, CI: "2%"}},
		{"StatsMissGrowth/db=1M/user=100k", "sec/op", goResult{Median: 0.018107634, CI: "6%"}},
		{"Scrape/users=10000", "series", goResult{Median: 274, CI: "0%"}},
		{"StatsCache/op=miss", "allocs/op", goResult{Median: 3528, CI: "0%"}},
	} {
		got, err := res.get(c.name, c.unit)
		if err != nil || got != c.want {
			t.Errorf("%s %s: got %+v, %v; want %+v", c.name, c.unit, got, err, c.want)
		}
	}
}

func TestParseWrk(t *testing.T) {
	b, err := os.ReadFile("testdata/wrk-latency.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseWrk(string(b))
	want := wrkRun{ReqPerSec: 38611.91, P50: 1720 * time.Microsecond, P99: 13140 * time.Microsecond}
	if err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}

	t.Run("errors", func(t *testing.T) {
		for _, extra := range []string{"  Non-2xx or 3xx responses: 12\n", "  Socket errors: connect 0, read 3, write 0, timeout 0\n"} {
			out := strings.Replace(string(b), "Requests/sec:", extra+"Requests/sec:", 1)
			if _, err := parseWrk(out); err == nil {
				t.Errorf("parseWrk accepted a run with %q", extra)
			}
		}
	})
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v): got %v, want %v", c.in, got, c.want)
		}
	}
}

func TestCommas(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {54887.6, "54,888"}, {1234567, "1,234,567"}, {-1500, "-1,500"}} {
		if got := commas(c.in); got != c.want {
			t.Errorf("commas(%v): got %q, want %q", c.in, got, c.want)
		}
	}
}
