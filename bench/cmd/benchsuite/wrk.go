package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wrkRun is one wrk run's figures.
type wrkRun struct {
	ReqPerSec float64
	P50, P99  time.Duration
	// CPUPerReq is the server process's CPU time (user + system) per
	// request: less sensitive than req/s to other load on the machine.
	CPUPerReq time.Duration
}

var (
	wrkReqPerSec = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkPercent   = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkErrors    = regexp.MustCompile(`(?m)^\s+(Non-2xx or 3xx responses|Socket errors):.*$`)
)

// parseWrk reads wrk --latency output. Any non-2xx answer or socket error
// fails the run: a fast error page must not pass for throughput.
func parseWrk(out string) (wrkRun, error) {
	var r wrkRun
	if m := wrkErrors.FindString(out); m != "" {
		return r, fmt.Errorf("wrk: %s", strings.TrimSpace(m))
	}
	m := wrkReqPerSec.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk: no Requests/sec in %q", out)
	}
	r.ReqPerSec, _ = strconv.ParseFloat(m[1], 64)
	for _, p := range wrkPercent.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[3]]
		d := time.Duration(v * float64(unit))
		if p[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if r.P99 == 0 {
		return r, fmt.Errorf("wrk: no latency distribution in %q", out)
	}
	return r, nil
}

// wrkTarget is one URL to load.
type wrkTarget struct {
	name   string // file-name friendly
	url    string
	header string // "Name: value", or ""
	pid    int    // the server process, for its CPU time
}

type wrkOptions struct {
	threads, connections int
	duration             time.Duration
	runs                 int
	out                  string
}

// runWrk loads each pair (subject, baseline) runs times, alternating which
// goes first, so that drift on a shared machine hits both alike. It returns
// every run of every target, by name.
func runWrk(o wrkOptions, pairs [][2]wrkTarget, progress io.Writer) (map[string][]wrkRun, error) {
	res := map[string][]wrkRun{}
	one := func(t wrkTarget, d time.Duration, keep bool, i int) error {
		args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.connections),
			"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "--timeout", "5s"}
		if t.header != "" {
			args = append(args, "-H", t.header)
		}
		args = append(args, t.url)
		cpu0, err := processCPU(t.pid)
		if err != nil {
			return err
		}
		out, err := exec.Command("wrk", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("wrk %s: %w: %s", t.name, err, out)
		}
		cpu1, err := processCPU(t.pid)
		if err != nil {
			return err
		}
		if !keep {
			return nil
		}
		os.WriteFile(filepath.Join(o.out, fmt.Sprintf("wrk-%s-%d.txt", t.name, i)), out, 0o644)
		r, err := parseWrk(string(out))
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		r.CPUPerReq = time.Duration(float64(cpu1-cpu0) / (r.ReqPerSec * d.Seconds()))
		fmt.Fprintf(progress, "   %-12s run %d: %8.0f req/s  P50 %-8v P99 %-8v server CPU %v/req\n",
			t.name, i+1, r.ReqPerSec, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.CPUPerReq.Round(100*time.Nanosecond))
		res[t.name] = append(res[t.name], r)
		return nil
	}
	for _, p := range pairs {
		for _, t := range p { // warm up: connections, JIT-free but caches and pools
			if err := one(t, time.Second, false, 0); err != nil {
				return nil, err
			}
		}
		for i := range o.runs {
			order := []wrkTarget{p[0], p[1]}
			if i%2 == 1 {
				order[0], order[1] = order[1], order[0]
			}
			for _, t := range order {
				if err := one(t, o.duration, true, i); err != nil {
					return nil, err
				}
			}
		}
	}
	return res, nil
}

// wrkMedian is the median of each figure over the runs.
func wrkMedian(runs []wrkRun) wrkRun {
	var rps []float64
	var p50, p99, cpu []time.Duration
	for _, r := range runs {
		rps, p50, p99, cpu = append(rps, r.ReqPerSec), append(p50, r.P50), append(p99, r.P99), append(cpu, r.CPUPerReq)
	}
	return wrkRun{ReqPerSec: median(rps), P50: median(p50), P99: median(p99), CPUPerReq: median(cpu)}
}

// pairedRatio is the median over runs of subject/baseline req/s, each run
// paired with the baseline run next to it in time, so that load from
// elsewhere on the machine hits both sides of each ratio alike.
func pairedRatio(subject, baseline []wrkRun) float64 {
	var rs []float64
	for i := range min(len(subject), len(baseline)) {
		rs = append(rs, subject[i].ReqPerSec/baseline[i].ReqPerSec)
	}
	return median(rs)
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// processCPU returns the user + system CPU time pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, b)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, b)
	}
	return time.Duration(ut+st) * clockTick, nil
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// child is a serve child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready serveReady
}

// startServe starts a serve child and waits for its ready line.
func startServe(self string, logFile string, args ...string) (*child, error) {
	cmd := exec.Command(self, append([]string{"serve"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	lf.Close() // the child holds its own descriptor
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("serve %v did not start (see %s): %w", args, logFile, err)
	}
	if err := json.Unmarshal(line, &c.ready); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// stop closes the child's stdin, which ends it, and waits.
func (c *child) stop() {
	c.stdin.Close()
	c.cmd.Wait()
}

// fetch GETs url and returns the body, requiring a 200.
func fetch(url, header string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if name, value, ok := strings.Cut(header, ": "); ok {
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b, nil
}
