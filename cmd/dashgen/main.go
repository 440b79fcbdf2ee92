// Command dashgen generates awardtracker's monitoring from one config
// (config.go), as a mixin does: the Prometheus recording rules and alerts
// in alerts/ (rules.go) and the Grafana dashboards (Overview, Queries,
// Cache, Sync) in dashboards/ (dashboards.go, built with the Grafana
// Foundation SDK). The generated files are committed; a test fails when
// they drift from what this command generates. Run it from the repository
// root after changing the config, the rules or the dashboards:
//
//	go run ./cmd/dashgen
//
// It does not provision anything and writes no tests: the promtool unit
// tests in alerts/tests/ are hand-written against the generated rules,
// dashboards/provisioning/ holds the Grafana provisioning files, and the
// tests in ./monitoring run every rule and panel query against a real
// Prometheus.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	root := flag.String("root", ".", "Repository root; the files go to its alerts/ and dashboards/.")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "dashgen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := render(mixin)
	if err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// render returns every generated file by its path from the repository
// root (slash-separated).
func render(c config) (map[string][]byte, error) {
	files := make(map[string][]byte)
	boards, err := renderDashboards(c)
	if err != nil {
		return nil, err
	}
	for name, data := range boards {
		files["dashboards/"+name] = data
	}
	for name, f := range ruleFiles(c) {
		data, err := f.render()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files["alerts/"+name] = data
	}
	return files, nil
}
