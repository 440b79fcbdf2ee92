package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/common/version"
)

// TestBinaryLinksNoTestCode: the production binary links none of our test
// packages (fakes and helpers: lotwtest, dcltest, pgtest, sqlitetest,
// hosttest, ... all end in "test") and not net/http/httptest (which
// registers an -httptest.serve flag and can start servers). The demo used
// to start lotwtest's fake LoTW from inside the binary.
func TestBinaryLinksNoTestCode(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the binary's packages: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed only %d packages: %q", len(deps), out)
	}
	for _, p := range deps {
		ours := strings.HasPrefix(p, "github.com/awardtracker/awardtracker/")
		if p == "net/http/httptest" || ours && strings.HasSuffix(p, "test") {
			t.Errorf("the binary links %s", p)
		}
	}
}

// TestVersionFlag: --version prints the version that -ldflags set (the
// one build_info and the User-Agent show) and exits 0 without serving.
func TestVersionFlag(t *testing.T) {
	old := version.Version
	version.Version = "1.2.3-test"
	t.Cleanup(func() { version.Version = old })
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--version"}, &out, &errOut, nil)
	if code != 0 {
		t.Fatalf("--version exited %d: %s", code, errOut.String())
	}
	if got := out.String() + errOut.String(); !strings.Contains(got, "awardtracker, version 1.2.3-test") {
		t.Errorf("--version printed %q, want it to name version 1.2.3-test", got)
	}
}
