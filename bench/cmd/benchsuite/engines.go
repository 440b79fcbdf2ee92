package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// engineRatio is the target of rows 10–12: PostgreSQL within 1.5x of SQLite.
const engineRatio = 1.5

// measureEngines runs rows 10–12, BenchmarkEngines: the same operations on
// SQLite and on PostgreSQL (pgtest's throwaway cluster) in one process,
// runs times, so that both engines meet the same load from elsewhere. The
// statistics misses run 500 times per process (a miss reads the tallies:
// about a millisecond), the imports and syncs once (each takes seconds);
// the rows show medians over the processes.
func measureEngines(out string, runs int, t *table, progress io.Writer) error {
	// Compiled again (from the build cache when the go part just did):
	// a bench.test left from an earlier run may be stale.
	bin := filepath.Join(out, "bench.test")
	fmt.Fprintln(progress, ">> compiling the Go benchmarks")
	cmd := exec.Command("go", "test", "-c", "-o", bin, "./bench")
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -c: %w", err)
	}
	ns := map[string][]float64{}
	for i := range runs {
		fmt.Fprintf(progress, ">> storage engines, run %d of %d (SQLite and PostgreSQL)\n", i+1, runs)
		for _, part := range []struct{ bench, benchtime string }{
			{"BenchmarkEngines/op=statsmiss", "500x"},
			{"BenchmarkEngines/op=(import|sync)", "1x"},
		} {
			cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", part.bench, "-test.benchtime", part.benchtime, "-test.count", "1", "-test.timeout", "0")
			cmd.Dir = "bench"
			var stdout bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, progress), progress
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("engine benchmarks: %w", err)
			}
			for name, v := range parseNsPerOp(stdout.Bytes()) {
				ns[name] = append(ns[name], v)
			}
		}
	}
	var errs []string
	get := func(op, engine string) float64 {
		v := ns["Engines/op="+op+"/engine="+engine]
		if len(v) == 0 {
			errs = append(errs, op+"/"+engine)
			return 0
		}
		return median(v) / 1e9
	}
	type pair struct{ id, what, op string }
	for _, p := range []pair{
		{"10", "stats miss, user with 20,000 QSOs (alone in a fresh database)", "statsmiss/user=20k"},
		{"10b", "stats miss, user with 100,000 QSOs", "statsmiss/user=100k"},
		{"11", "LoTW sync of 100,000 records in process, first sync (every record a new QSO)", "sync-new/records=100k"},
		{"11b", "LoTW sync of 100,000 records in process, every record confirms an own-log QSO", "sync-confirm/records=100k"},
		{"12", "own-log import, 20,000 QSOs", "import/qsos=20k"},
	} {
		pg, lite := get(p.op, "postgres"), get(p.op, "sqlite")
		if len(errs) > 0 {
			return fmt.Errorf("engine benchmarks: no result for %s", strings.Join(errs, ", "))
		}
		r := pg / lite
		target, met := fmt.Sprintf("PostgreSQL ≤ %.1fx SQLite", engineRatio), r <= engineRatio
		if p.id == "12" {
			target, met = "(reported, no target)", true
		}
		t.rows = append(t.rows, row{p.id, p.what + ", PostgreSQL", dur(pg), "the same on SQLite: " + dur(lite),
			fmt.Sprintf("%.2fx", r), target, met})
	}
	t.notes = append(t.notes, fmt.Sprintf("Engines (rows 10–12): BenchmarkEngines, %d processes, each running both engines back to back "+
		"(PostgreSQL: pgtest's throwaway cluster from Debian's package on loopback, default settings but fsync, synchronous_commit "+
		"and full_page_writes off, as a test cluster; SQLite: WAL, synchronous=NORMAL); medians over the processes.", runs))
	return nil
}

// parseNsPerOp reads `go test -bench` output: benchmark name (without
// "Benchmark" and the -GOMAXPROCS suffix) to ns/op.
func parseNsPerOp(out []byte) map[string]float64 {
	res := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		res[name] = v
	}
	return res
}
