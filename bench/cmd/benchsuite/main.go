// Command benchsuite runs awardtracker's benchmark suite and prints one
// table: the Go benchmarks of package bench (summarised by benchstat), the
// HTTP rows (wrk against the service stack and a bare Echo server, each in
// a child process of this command), the LoTW sync row (one child process
// per sync, for its peak RSS), the export row and the fleet's cache
// invalidation lag (package postgres's benchmark, on PostgreSQL). Every row is measured against its baseline
// in the same run. `make bench` runs it from the module root.
//
// Load only ever goes to 127.0.0.1, and every run stops by itself.
//
//	benchsuite [flags]            run the suite
//	benchsuite serve [flags]      (child) serve the stack or a bare handler
//	benchsuite sync [flags]       (child) one LoTW sync, or one parse
//	benchsuite export [flags]     (child) one export, or one read of the rows
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

func main() {
	var err error
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "serve":
			err = runServe(os.Args[2:])
		case "sync":
			err = runSync(os.Args[2:])
		case "export":
			err = runExport(os.Args[2:])
		default:
			err = runSuite(os.Args[1:])
		}
	} else {
		err = runSuite(nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsuite:", err)
		os.Exit(1)
	}
}

type suiteOptions struct {
	out         string
	count       int
	benchtime   string
	benchstat   string
	goRaw       string
	wrk         wrkOptions
	syncRuns    int
	syncRecords int
	exportRuns  int
	exportQSOs  int
	fleetRuns   int
	engineRuns  int
	skip        map[string]bool
}

func runSuite(args []string) error {
	fs := flag.NewFlagSet("benchsuite", flag.ExitOnError)
	var o suiteOptions
	fs.StringVar(&o.out, "out", "bin/bench", "directory for the raw results and table.md")
	fs.IntVar(&o.count, "count", 6, "repetitions of each Go benchmark (benchstat needs 6 for a confidence interval)")
	fs.StringVar(&o.benchtime, "benchtime", "1s", "-benchtime of each Go benchmark run")
	fs.StringVar(&o.benchstat, "benchstat", "benchstat", "benchstat command (words split on spaces)")
	fs.StringVar(&o.goRaw, "go-results", "", "use this raw Go benchmark output instead of running the benchmarks")
	fs.IntVar(&o.wrk.threads, "wrk.threads", 2, "wrk threads")
	fs.IntVar(&o.wrk.connections, "wrk.connections", 64, "wrk connections")
	fs.DurationVar(&o.wrk.duration, "wrk.duration", 4*time.Second, "length of each wrk run")
	fs.IntVar(&o.wrk.runs, "wrk.runs", 5, "wrk runs per target (alternating with its baseline)")
	fs.IntVar(&o.syncRuns, "sync.runs", 3, "syncs (and parses) per measurement, each in a fresh process and database")
	fs.IntVar(&o.syncRecords, "sync.records", 100_000, "records in the fake LoTW report")
	fs.IntVar(&o.exportRuns, "export.runs", 3, "exports (and reads) per measurement, each in a fresh process")
	fs.IntVar(&o.exportQSOs, "export.qsos", 100_000, "QSOs of the exported log")
	fs.IntVar(&o.fleetRuns, "fleet.runs", 3, "runs of the cache invalidation lag benchmark (PostgreSQL)")
	fs.IntVar(&o.engineRuns, "engines.runs", 3, "processes running the storage engine comparison (SQLite and PostgreSQL)")
	skip := fs.String("skip", "", "comma-separated parts to skip: go, http, sync, export, fleet, engines")
	fs.Parse(args)
	o.skip = map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		o.skip[strings.TrimSpace(s)] = true
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	out, err := filepath.Abs(o.out)
	if err != nil {
		return err
	}
	o.out, o.wrk.out = out, out
	tmp, err := os.MkdirTemp("", "benchsuite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	progress := os.Stderr
	self, err := os.Executable()
	if err != nil {
		return err
	}
	started := time.Now()
	t := &table{machine: describeMachine(), revision: revision()}

	if !o.skip["go"] {
		raw := o.goRaw
		if raw == "" {
			if raw, err = runGoBenchmarks(o.out, filepath.Join(tmp, "fixtures"), o.count, o.benchtime, progress); err != nil {
				return err
			}
		}
		fmt.Fprintln(progress, ">> summarising with benchstat")
		res, err := runBenchstat(strings.Fields(o.benchstat), raw, o.out)
		if err != nil {
			return err
		}
		if err := t.addGo(res); err != nil {
			return err
		}
	}
	if !o.skip["http"] {
		if err := measureHTTP(self, tmp, o, t, progress); err != nil {
			return err
		}
	}
	if !o.skip["sync"] {
		if err := measureSync(self, tmp, o, t, progress); err != nil {
			return err
		}
	}
	if !o.skip["export"] {
		if err := measureExport(self, tmp, o, t, progress); err != nil {
			return err
		}
	}
	if !o.skip["fleet"] {
		if err := measureFleet(o.fleetRuns, t, progress); err != nil {
			return err
		}
	}
	if !o.skip["engines"] {
		if err := measureEngines(o.out, o.engineRuns, t, progress); err != nil {
			return err
		}
	}
	t.elapsed = time.Since(started)
	var buf bytes.Buffer
	t.write(&buf)
	if err := os.WriteFile(filepath.Join(o.out, "table.md"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(progress)
	_, err = os.Stdout.Write(buf.Bytes())
	return err
}

// measureHTTP runs rows 3 and 4: the stack and a bare Echo server answering
// the stack's own bytes, each in a child process, loaded with wrk.
func measureHTTP(self, tmp string, o suiteOptions, t *table, progress io.Writer) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: install it (apt-get install wrk) or pass -skip http")
	}
	fmt.Fprintln(progress, ">> HTTP: starting the service stack (child process)")
	dir := filepath.Join(tmp, "serve")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	full, err := startServe(self, filepath.Join(tmp, "serve-full.log"), "-mode", "full", "-dir", dir)
	if err != nil {
		return err
	}
	defer full.stop()
	auth := "Authorization: Bearer " + full.ready.Token
	stats, err := fetch(full.ready.URL+"/api/qsos/stats", auth)
	if err != nil {
		return err
	}
	health, err := fetch(full.ready.URL+"/api/health", "")
	if err != nil {
		return err
	}
	files := map[string]string{"/api/qsos/stats": filepath.Join(tmp, "stats.json"), "/api/health": filepath.Join(tmp, "health.json")}
	os.WriteFile(files["/api/qsos/stats"], stats, 0o644)
	os.WriteFile(files["/api/health"], health, 0o644)
	b, _ := json.Marshal(files)
	bodies := filepath.Join(tmp, "bodies.json")
	if err := os.WriteFile(bodies, b, 0o644); err != nil {
		return err
	}
	bare, err := startServe(self, filepath.Join(tmp, "serve-bare.log"), "-mode", "bare", "-bodies", bodies)
	if err != nil {
		return err
	}
	defer bare.stop()

	fmt.Fprintf(progress, ">> HTTP: wrk -t%d -c%d -d%v --latency, %d runs per target\n",
		o.wrk.threads, o.wrk.connections, o.wrk.duration, o.wrk.runs)
	fp, bp := full.cmd.Process.Pid, bare.cmd.Process.Pid
	pairs := [][2]wrkTarget{
		{{"stats", full.ready.URL + "/api/qsos/stats", auth, fp}, {"stats-bare", bare.ready.URL + "/api/qsos/stats", auth, bp}},
		{{"health", full.ready.URL + "/api/health", "", fp}, {"health-bare", bare.ready.URL + "/api/health", "", bp}},
	}
	res, err := runWrk(o.wrk, pairs, progress)
	if err != nil {
		return err
	}
	t.addHTTP(o.wrk, "3", "`GET /api/qsos/stats` (cache hit, bearer auth)", len(stats), res["stats"], res["stats-bare"], 0.8)
	t.addHTTP(o.wrk, "4", "`GET /api/health`", len(health), res["health"], res["health-bare"], 0.7)
	return nil
}

// syncMeasure is the median of several child runs.
type syncMeasure struct {
	Records   int
	Seconds   float64
	RecPerSec float64
	CPU       float64 // CPU seconds of the step
	MaxRSS    int64   // bytes, the largest of the runs
}

// measureSync runs row 6: LoTW syncs through the syncer from a fake LoTW
// serving a generated report, one child process per sync (for its peak
// RSS), against parsing the same bytes alone. 6 is a first sync into an
// empty log (every record a new QSO), 6b a sync for a user who imported
// the same QSOs as their own log first (every record confirms one).
func measureSync(self, tmp string, o suiteOptions, t *table, progress io.Writer) error {
	const login, password = "n0call", "bench-password"
	fake := lotwtest.NewServer()
	defer fake.Close()
	fake.AddAccount(login, password)
	fake.SetGenerated(login, o.syncRecords, lotwtest.Generated)

	// The bytes the parse baseline reads are the report a sync downloads.
	report := filepath.Join(tmp, "report.adi")
	q := url.Values{"login": {login}, "password": {password}, "qso_query": {"1"}, "qso_qsl": {"yes"},
		"qso_qslsince": {lotw.FirstSince}, "qso_qsldetail": {"yes"}, "qso_mydetail": {"yes"}, "qso_withown": {"yes"}}
	body, err := fetch(fake.URL+"?"+q.Encode(), "")
	if err != nil {
		return err
	}
	if err := os.WriteFile(report, body, 0o644); err != nil {
		return err
	}

	run := func(args ...string) (syncResult, error) {
		cmd := exec.Command(self, append([]string{"sync"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return syncResult{}, fmt.Errorf("sync %v: %w: %s", args, err, stderr.Bytes())
		}
		var r syncResult
		return r, json.Unmarshal(stdout.Bytes(), &r)
	}
	measure := func(name string, prepare func(i int) error, args func(i int) []string) (syncMeasure, error) {
		var secs, rates, cpus []float64
		m := syncMeasure{}
		for i := range o.syncRuns {
			if prepare != nil {
				if err := prepare(i); err != nil {
					return m, err
				}
			}
			r, err := run(args(i)...)
			if err != nil {
				return m, err
			}
			if r.Records != o.syncRecords {
				return m, fmt.Errorf("%s: %d records, want %d", name, r.Records, o.syncRecords)
			}
			fmt.Fprintf(progress, "   %-10s run %d: %d records in %.2fs, CPU %.2fs (%.0f records/s; %d imported, %d updated), peak RSS %.1f MB\n",
				name, i+1, r.Records, r.Seconds, r.CPUSeconds, float64(r.Records)/r.Seconds, r.Imported, r.Updated, float64(r.PeakRSS)/1e6)
			secs, rates, cpus = append(secs, r.Seconds), append(rates, float64(r.Records)/r.Seconds), append(cpus, r.CPUSeconds)
			m.MaxRSS = max(m.MaxRSS, r.PeakRSS)
			m.Records = r.Records
		}
		m.Seconds, m.RecPerSec, m.CPU = median(secs), median(rates), median(cpus)
		return m, nil
	}
	syncArgs := func(dir string) []string {
		return []string{"-mode", "sync", "-url", fake.URL, "-login", login, "-password", password, "-dir", dir}
	}
	fmt.Fprintf(progress, ">> LoTW sync: %d records from the fake LoTW, %d runs each (one process per run)\n", o.syncRecords, o.syncRuns)
	parse, err := measure("parse", nil, func(int) []string { return []string{"-mode", "parse", "-file", report} })
	if err != nil {
		return err
	}
	first, err := measure("sync", nil, func(i int) []string { return syncArgs(filepath.Join(tmp, fmt.Sprintf("sync-%d", i))) })
	if err != nil {
		return err
	}
	matchDir := func(i int) string { return filepath.Join(tmp, fmt.Sprintf("match-%d", i)) }
	match, err := measure("sync-match", func(i int) error {
		_, err := run("-mode", "log", "-file", report, "-dir", matchDir(i))
		return err
	}, func(i int) []string { return syncArgs(matchDir(i)) })
	if err != nil {
		return err
	}
	t.addSync("6", "first sync into an empty log (every record a new QSO)", first, parse, len(body))
	t.addSync("6b", "sync for a user whose own log holds the QSOs (every record confirms one)", match, parse, len(body))
	return nil
}

// revision names the commit measured, with "+changes" if the work tree
// differs from it; "" outside a git checkout.
func revision() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := ", commit " + strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += "+changes"
	}
	return rev
}

// describeMachine says what the numbers were measured on.
func describeMachine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%s, %d cores (GOMAXPROCS %d)%s, %s/%s, %s", cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), mem,
		runtime.GOOS, runtime.GOARCH, runtime.Version())
}
