package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// flatFactor is what "flat" means in row 7: a miss in the larger database
// costs at most this much more than in the 10k one.
const flatFactor = 1.2

// row is one line of the table.
type row struct {
	id, what, result, baseline, ratio, target string
	met                                       bool
}

type table struct {
	machine  string
	revision string // ", commit abc1234", or ""
	notes    []string
	rows     []row
	elapsed  time.Duration
}

func yes(b bool) string {
	if b {
		return "**met**"
	}
	return "**missed**"
}

func (t *table) write(w io.Writer) {
	// Rows are added by part (Go, HTTP, sync); the table lists them by id.
	slices.SortStableFunc(t.rows, func(a, b row) int {
		na, _ := strconv.Atoi(strings.TrimRight(a.id, "abcdefghijklmnopqrstuvwxyz"))
		nb, _ := strconv.Atoi(strings.TrimRight(b.id, "abcdefghijklmnopqrstuvwxyz"))
		return cmp.Or(cmp.Compare(na, nb), cmp.Compare(a.id, b.id))
	})
	fmt.Fprintf(w, "Measured %s on %s%s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), t.machine, t.revision)
	fmt.Fprintln(w, "| # | what | result (median) | baseline, same run (median) | ratio | target | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.id, r.what, r.result, r.baseline, r.ratio, r.target, yes(r.met))
	}
	fmt.Fprintln(w)
	for _, n := range t.notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if t.elapsed >= time.Second {
		fmt.Fprintf(w, "- The suite took %v.\n", t.elapsed.Round(time.Second))
	}
}

// dur formats seconds with three significant digits.
func dur(sec float64) string {
	d := time.Duration(sec * 1e9)
	switch {
	case sec < 1e-6:
		return fmt.Sprintf("%.3g ns", sec*1e9)
	case sec < 1e-3:
		return fmt.Sprintf("%.3g µs", sec*1e6)
	case sec < 0.9995: // beyond, %.3g would print 1000 ms as "1e+03 ms"
		return fmt.Sprintf("%.3g ms", sec*1e3)
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// commas formats v rounded to an integer with thousands separators.
func commas(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// withCI appends benchstat's confidence interval, if it gave one.
func withCI(s string, r goResult) string {
	ci := strings.TrimSpace(r.CI)
	if ci == "" || ci == "∞" {
		return s
	}
	return s + " ±" + strings.TrimPrefix(ci, "±")
}

func (t *table) addGo(res goResults) error {
	var errs []error
	get := func(name, unit string) goResult {
		r, err := res.get(name, unit)
		if err != nil {
			errs = append(errs, err)
		}
		return r
	}
	hit, miss := get("StatsCache/op=hit", "sec/op"), get("StatsCache/op=miss", "sec/op")
	untracked, tracked := get("Tracking/op=untracked", "sec/op"), get("Tracking/op=tracked", "sec/op")
	hookOff, hookOn := get("QueryHook/tracker=false", "sec/op"), get("QueryHook/tracker=true", "sec/op")
	s10, s10k := get("Scrape/users=10", "sec/op"), get("Scrape/users=10000", "sec/op")
	n10, n10k := get("Scrape/users=10", "series"), get("Scrape/users=10000", "series")
	g10k := get("StatsMissGrowth/db=10k/user=10k", "sec/op")
	g100k := get("StatsMissGrowth/db=100k/user=10k", "sec/op")
	g1M := get("StatsMissGrowth/db=1M/user=10k", "sec/op")
	big := get("StatsMissGrowth/db=1M/user=100k", "sec/op")
	if len(errs) > 0 {
		return errs[0]
	}

	ratio := miss.Median / hit.Median
	t.rows = append(t.rows, row{"1", "stats cache hit, in process, metrics accounting included",
		withCI(dur(hit.Median), hit), "cache miss, user with 20,000 QSOs (SQLite): " + withCI(dur(miss.Median), miss),
		"miss/hit " + commas(ratio) + "x", "hit ≤ 1 µs; miss/hit ≥ 1,000x (old: 601x)",
		hit.Median <= 1e-6 && ratio >= 1000})

	over := tracked.Median - untracked.Median
	t.rows = append(t.rows, row{"2", "query tracking (histogram + window): `Tracker.Track` around a call",
		withCI(dur(tracked.Median), tracked), "the same call untracked: " + withCI(dur(untracked.Median), untracked),
		"overhead " + dur(over), "≤ 200 ns per query (old: < 100 µs)", over <= 200e-9})
	hook := hookOn.Median - hookOff.Median
	t.rows = append(t.rows, row{"2b", "tracking as the storage wires it (GORM callbacks + Observe), one indexed SELECT",
		withCI(dur(hookOn.Median), hookOn), "the same SELECT, database opened without a Tracker: " + withCI(dur(hookOff.Median), hookOff),
		"overhead " + dur(hook), "≤ 200 ns per query", hook <= 200e-9})

	sr := s10k.Median / s10.Median
	t.rows = append(t.rows, row{"5", "`/metrics` scrape, 10,000 users with QSOs and cached stats",
		fmt.Sprintf("%s, %.0f series", withCI(dur(s10k.Median), s10k), n10k.Median),
		fmt.Sprintf("10 users: %s, %.0f series", withCI(dur(s10.Median), s10), n10.Median),
		fmt.Sprintf("time %.2fx; series %+.0f", sr, n10k.Median-n10.Median),
		"series equal; time ≤ 1.5x", n10k.Median == n10.Median && sr <= 1.5})

	f100k, f1M := g100k.Median/g10k.Median, g1M.Median/g10k.Median
	t.rows = append(t.rows, row{"7", "stats miss, user with 10,000 QSOs, database of 100k / 1M QSOs over many users",
		withCI(dur(g100k.Median), g100k) + " / " + withCI(dur(g1M.Median), g1M),
		"the same in a database of 10k QSOs (the user alone): " + withCI(dur(g10k.Median), g10k),
		fmt.Sprintf("%.2fx / %.2fx", f100k, f1M), fmt.Sprintf("flat (≤ %.1fx)", flatFactor),
		f100k <= flatFactor && f1M <= flatFactor})
	t.rows = append(t.rows, row{"7b", "stats miss, user with 100,000 QSOs, database of 1M QSOs",
		withCI(dur(big.Median), big), "—", "", "≤ 20 ms", big.Median <= 20e-3})
	return nil
}

func (t *table) addHTTP(o wrkOptions, id, what string, bytes int, subject, baseline []wrkRun, target float64) {
	f := func(r wrkRun) string {
		return fmt.Sprintf("%s req/s, P99 %s (server CPU %s/req)", commas(r.ReqPerSec), dur(r.P99.Seconds()), dur(r.CPUPerReq.Seconds()))
	}
	ratio := pairedRatio(subject, baseline)
	t.rows = append(t.rows, row{id, fmt.Sprintf("%s, wrk %d connections", what, o.connections),
		f(wrkMedian(subject)), fmt.Sprintf("bare Echo handler, same %d bytes: %s", bytes, f(wrkMedian(baseline))),
		fmt.Sprintf("%.0f %%", 100*ratio), fmt.Sprintf("≥ %.0f %% of baseline req/s", 100*target), ratio >= target})
	if id == "3" {
		t.notes = append(t.notes, fmt.Sprintf("HTTP: wrk -t%d -c%d -d%v --latency on 127.0.0.1, %d runs per target alternating with its baseline; "+
			"the ratio is the median of the ratios of adjacent runs. Server and wrk share the machine's cores; server CPU per request is the "+
			"server process's user + system time over the requests served.", o.threads, o.connections, o.duration, o.runs))
	}
}

func (t *table) addSync(id, what string, sync, parse syncMeasure, reportBytes int) {
	t.rows = append(t.rows, row{id, fmt.Sprintf("LoTW sync through the syncer, %s-record report (%.0f MB) from the fake LoTW, one process per sync: %s", commas(float64(sync.Records)), float64(reportBytes)/1e6, what),
		fmt.Sprintf("%s records/s (%s, CPU %s), peak RSS %.0f MB", commas(sync.RecPerSec), dur(sync.Seconds), dur(sync.CPU), float64(sync.MaxRSS)/1e6),
		fmt.Sprintf("parsing the same bytes alone: %s records/s (%s, CPU %s), peak RSS %.0f MB", commas(parse.RecPerSec), dur(parse.Seconds), dur(parse.CPU), float64(parse.MaxRSS)/1e6),
		// The share by CPU time as well: the wall-clock share moves with
		// whatever else the machine runs.
		fmt.Sprintf("%.0f %% of parse speed (by CPU time %.0f %%)", 100*sync.RecPerSec/parse.RecPerSec, 100*parse.CPU/sync.CPU),
		"≥ 50,000 records/s; peak RSS ≤ 150 MB", sync.RecPerSec >= 50_000 && sync.MaxRSS <= 150e6})
}
