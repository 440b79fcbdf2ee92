package main

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// lagImports is the -benchtime of each run of the lag benchmark: imports
// on replica A, each waited for on replica B.
const lagImports = 300

// measureFleet runs row 9: package postgres's BenchmarkInvalidationLag
// (two replicas on a throwaway PostgreSQL that the benchmark starts from
// Debian's postgresql package), runs times, and reports the medians of each
// run's P50 and P99. The benchmark computes the percentiles itself, from
// every import's lag, so they are read from its output, not benchstat's.
func measureFleet(runs int, t *table, progress io.Writer) error {
	fmt.Fprintf(progress, ">> fleet: cache invalidation lag (BenchmarkInvalidationLag in ./pkg/postgres), %d runs of %d imports\n", runs, lagImports)
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkInvalidationLag$",
		"-benchtime", strconv.Itoa(lagImports)+"x", "-count", strconv.Itoa(runs), "./pkg/postgres")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, progress), progress
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("fleet benchmark (needs PostgreSQL: apt-get install postgresql, or -skip fleet): %w", err)
	}
	p50, p99, err := parseLag(out.String())
	if err != nil {
		return err
	}
	t.rows = append(t.rows, row{"9", fmt.Sprintf("fleet: cache invalidation lag, commit of an import on replica A to the drop of the user's caches on replica B (PostgreSQL LISTEN/NOTIFY on loopback), %d imports per run", lagImports),
		fmt.Sprintf("P50 %s, P99 %s", dur(p50), dur(p99)), "—", "", "P99 < 100 ms", p99 < 0.1})
	return nil
}

// parseLag returns the medians, in seconds, of the p50-ms and p99-ms
// metrics of the benchmark's result lines.
func parseLag(out string) (p50, p99 float64, err error) {
	var p50s, p99s []float64
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "BenchmarkInvalidationLag") {
			continue
		}
		for i := 1; i < len(f); i++ {
			v, perr := strconv.ParseFloat(f[i-1], 64)
			switch {
			case perr != nil:
			case f[i] == "p50-ms":
				p50s = append(p50s, v/1000)
			case f[i] == "p99-ms":
				p99s = append(p99s, v/1000)
			}
		}
	}
	if len(p50s) == 0 || len(p50s) != len(p99s) {
		return 0, 0, fmt.Errorf("fleet benchmark: no p50-ms and p99-ms in its output (skipped without PostgreSQL?)")
	}
	return median(p50s), median(p99s), nil
}
