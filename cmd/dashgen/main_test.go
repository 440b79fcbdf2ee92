package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestDashboardsUpToDate fails when the committed JSON in dashboards/ is not
// what the generator writes: someone edited the JSON by hand, or changed
// dashboards.go without regenerating.
func TestDashboardsUpToDate(t *testing.T) {
	files, err := render()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "dashboards")
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v; run `go run ./cmd/dashgen` from the repository root", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s differs from what cmd/dashgen generates; run `go run ./cmd/dashgen` from the repository root", name)
		}
	}
	committed, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, path := range committed {
		if _, ok := files[filepath.Base(path)]; !ok {
			extra = append(extra, filepath.Base(path))
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("dashboards/ holds %v, which cmd/dashgen does not generate", extra)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a, err := render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := render()
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two renders differ", name)
		}
	}
}
