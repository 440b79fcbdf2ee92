package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// goResult is benchstat's summary of one benchmark and unit: the median of
// the repetitions and its confidence interval as benchstat prints it.
type goResult struct {
	Median float64
	CI     string
}

// goResults maps benchmark name (without the -GOMAXPROCS suffix) and unit
// ("sec/op", "series", ...) to its summary.
type goResults map[string]map[string]goResult

func (r goResults) get(name, unit string) (goResult, error) {
	v, ok := r[name][unit]
	if !ok {
		return goResult{}, fmt.Errorf("no %s for benchmark %s in benchstat's output", unit, name)
	}
	return v, nil
}

// runGoBenchmarks compiles the bench package's tests and runs every
// benchmark count times, writing the raw output to raw. Each repetition is
// a separate process running all benchmarks once, so that repetitions of
// one benchmark are spread over the whole run instead of back to back,
// where one burst of load elsewhere would hit them all; the fixtures'
// databases are built by the first process and reused from fixtures.
func runGoBenchmarks(out, fixtures string, count int, benchtime string, progress io.Writer) (raw string, err error) {
	bin := filepath.Join(out, "bench.test")
	fmt.Fprintln(progress, ">> compiling the Go benchmarks")
	cmd := exec.Command("go", "test", "-c", "-o", bin, "./bench")
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go test -c: %w", err)
	}
	raw = filepath.Join(out, "gobench.txt")
	f, err := os.Create(raw)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := os.MkdirAll(fixtures, 0o755); err != nil {
		return "", err
	}
	for i := range count {
		fmt.Fprintf(progress, ">> Go benchmarks, repetition %d of %d (-benchtime %s)\n", i+1, count, benchtime)
		// BenchmarkEngines runs in its own part (engines.go), with fixed
		// iteration counts: one sync takes seconds.
		cmd = exec.Command(bin, "-test.run", "^$", "-test.bench", ".", "-test.skip", "^BenchmarkEngines$", "-test.count", "1",
			"-test.benchtime", benchtime, "-test.benchmem", "-test.timeout", "0")
		cmd.Dir = "bench"
		cmd.Env = append(os.Environ(), "BENCH_FIXTURE_DIR="+fixtures)
		cmd.Stdout = io.MultiWriter(f, progress)
		cmd.Stderr = progress
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("benchmarks: %w", err)
		}
	}
	return raw, nil
}

// runBenchstat summarises raw with benchstat: the text table goes to
// benchstat.txt for people, the CSV is parsed for the table.
func runBenchstat(benchstat []string, raw, out string) (goResults, error) {
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(benchstat[0], append(append(benchstat[1:], args...), raw)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %s", strings.Join(benchstat, " "), err, stderr.Bytes())
		}
		return b, nil
	}
	text, err := run()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(out, "benchstat.txt"), text, 0o644); err != nil {
		return nil, err
	}
	b, err := run("-format", "csv")
	if err != nil {
		return nil, err
	}
	return parseBenchstatCSV(b)
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBenchstatCSV reads benchstat's CSV: per unit a table whose header
// rows are ",<file>," and ",<unit>,CI", then one row per benchmark. Lines
// without commas (goos:, pkg:, ...) are configuration and skipped.
func parseBenchstatCSV(b []byte) (goResults, error) {
	res := goResults{}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("benchstat CSV: %w", err)
	}
	unit := ""
	for _, row := range rows {
		switch {
		case len(row) < 2:
			continue
		case row[0] == "" && len(row) >= 3 && row[2] == "CI":
			unit = row[1]
			continue
		case row[0] == "" || row[0] == "geomean" || row[1] == "" || unit == "":
			continue
		}
		v, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			return nil, fmt.Errorf("benchstat CSV: %q: %w", row, err)
		}
		name := procsSuffix.ReplaceAllString(row[0], "")
		if res[name] == nil {
			res[name] = map[string]goResult{}
		}
		ci := ""
		if len(row) > 2 {
			ci = row[2]
		}
		res[name][unit] = goResult{Median: v, CI: ci}
	}
	return res, nil
}
