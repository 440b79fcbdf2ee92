package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/awardtracker/awardtracker/bench"
	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// syncResult is what a sync child prints on stdout.
type syncResult struct {
	Records  int     `json:"records"`
	Imported int     `json:"imported"`
	Updated  int     `json:"updated"`
	Seconds  float64 `json:"seconds"`
	// CPUSeconds is the process's user + system time over the same span:
	// on a machine shared with other work it moves much less than Seconds.
	CPUSeconds float64 `json:"cpuSeconds"`
	// PeakRSS is the process's VmHWM in bytes. The child reads it itself:
	// the rusage a parent gets from wait4 also counts the parent's own
	// pages, which the child shared between fork and exec.
	PeakRSS int64 `json:"peakRSS"`
}

// benchUser is the user every sync child works for.
const benchUser = "N0CALL"

// runSync is the child process of the sync row, one step per process so
// that each step's peak RSS is its own:
//
//	-mode parse  parse a saved report alone (the baseline)
//	-mode log    import the saved report as the user's own log (prepares
//	             a database for a sync whose records all match)
//	-mode sync   one LoTW sync through the syncer, into -dir's database
func runSync(args []string) error {
	fs := flag.NewFlagSet("sync", flag.ExitOnError)
	mode := fs.String("mode", "sync", "parse, log or sync")
	url := fs.String("url", "", "fake LoTW report URL (sync)")
	login := fs.String("login", "", "LoTW login (sync)")
	password := fs.String("password", "", "LoTW password (sync)")
	dir := fs.String("dir", "", "directory of the database (log, sync)")
	file := fs.String("file", "", "saved report (parse, log)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the step to this file")
	fs.Parse(args)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	ctx := context.Background()
	var res syncResult
	switch *mode {
	case "parse":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		start, cpu0 := time.Now(), cpuTime()
		// The same work the LoTW client does on a report body: the ADIF
		// reader behind a 64 KiB buffer, each record normalised to a QSO.
		for rec, err := range adif.Records(bufio.NewReaderSize(f, 64<<10), awardtracker.SourceLoTW) {
			if err != nil {
				return err
			}
			if rec.Err != nil {
				return fmt.Errorf("record %d: %w", rec.Index, rec.Err)
			}
			res.Records++
		}
		res.Seconds, res.CPUSeconds = time.Since(start).Seconds(), cpuTime()-cpu0
	case "log":
		m, userID, err := openSync(ctx, *dir, "")
		if err != nil {
			return err
		}
		defer m.Close(context.Background())
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		start, cpu0 := time.Now(), cpuTime()
		r, err := m.QSOs.ImportQSOs(ctx, userID, awardtracker.SourceLog,
			adif.Records(bufio.NewReaderSize(f, 64<<10), awardtracker.SourceLog), awardtracker.ImportOptions{})
		if err != nil {
			return err
		}
		res = syncResult{Records: r.Imported + r.Updated + r.Duplicates, Imported: r.Imported,
			Seconds: time.Since(start).Seconds(), CPUSeconds: cpuTime() - cpu0}
	case "sync":
		m, userID, err := openSync(ctx, *dir, *url)
		if err != nil {
			return err
		}
		defer m.Close(context.Background())
		start, cpu0 := time.Now(), cpuTime()
		job, err := syncOnce(ctx, m, userID, *login, *password)
		if err != nil {
			return err
		}
		res = syncResult{Records: job.Fetched, Imported: job.Imported, Updated: job.Updated,
			Seconds: time.Since(start).Seconds(), CPUSeconds: cpuTime() - cpu0}
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	rss, err := peakRSS()
	if err != nil {
		return err
	}
	res.PeakRSS = rss
	return json.NewEncoder(os.Stdout).Encode(res)
}

// openSync runs the service over the database in dir, assembled as in
// production (bench.Open: query tracking, caches to invalidate, the syncer
// with its metrics) with its LoTW client pointed at lotwURL, and returns
// the benchmark user, creating it if needed.
func openSync(ctx context.Context, dir, lotwURL string) (*app.Main, int64, error) {
	m, err := bench.Open(ctx, bench.Options{DBPath: filepath.Join(dir, "sync.db"), LoTWURL: lotwURL, SecretsKey: benchSecretsKey})
	if err != nil {
		return nil, 0, err
	}
	u, _, err := m.Users.FindUserByCallsign(ctx, benchUser)
	if awardtracker.ErrorCode(err) == awardtracker.ENOTFOUND {
		u, err = m.Users.CreateUser(ctx, benchUser, []byte("placeholder"))
	}
	if err != nil {
		m.Close(context.Background())
		return nil, 0, err
	}
	return m, u.ID, nil
}

// benchSecretsKey seals the benchmark user's LoTW password.
const benchSecretsKey = "awardtracker-benchmark-secrets-key-not-a-secret"

// syncOnce stores the LoTW credentials and runs one sync through the
// service's syncer; the timing includes storing the credentials.
func syncOnce(ctx context.Context, m *app.Main, userID int64, login, password string) (*awardtracker.SyncJob, error) {
	if err := m.Syncer.SetLoTWCredentials(ctx, userID, login, password); err != nil {
		return nil, err
	}
	return m.Syncer.Sync(ctx, userID, awardtracker.SourceLoTW)
}

// cpuTime returns the user + system CPU seconds this process has used.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// peakRSS returns VmHWM, the resident set's high-water mark, in bytes.
func peakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
