// Command dashgen writes awardtracker's Grafana dashboards (Overview,
// Queries, Cache, Sync) as pretty-printed JSON into dashboards/, built with
// the Grafana Foundation SDK. The JSON is committed; a test fails when it
// drifts from what this command generates. Run it from the repository root
// after changing dashboards.go:
//
//	go run ./cmd/dashgen
//
// It does not provision anything: dashboards/provisioning/ holds the Grafana
// provisioning files that load the JSON, and the tests in ./monitoring run
// every panel query against a real Prometheus.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "dashboards", "Directory to write the dashboard JSON files to.")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "dashgen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := render()
	if err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
