package monitoring

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// installHint is what a missing tool's failure says: CI builds the tools
// with the same target, so a skip here would hide a broken CI setup.
const installHint = "run make tools (make test does): it builds prometheus, promtool, alertmanager and amtool at the versions pinned in the Makefile"

// toolsDir is where scripts/install-monitoring-tools.sh puts its builds.
func toolsDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("AWARDTRACKER_TOOLS_DIR"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatalf("no AWARDTRACKER_TOOLS_DIR and no home directory: %v", err)
	}
	return filepath.Join(home, ".cache", "awardtracker", "tools")
}

// pinnedVersions returns the Go module versions of Prometheus and
// Alertmanager pinned at the top of the Makefile, the one place they are
// set: the tests run exactly those builds, never whatever is on PATH (a
// distribution's Prometheus 2.x would pass or fail the rule tests for
// reasons that do not hold on the Prometheus we ship).
func pinnedVersions(t testing.TB) (prometheus, alertmanager string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s*=\s*(v\S+)\s*$`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("the Makefile pins no %s (want a line %s = vX.Y.Z)", name, name)
		}
		return string(m[1])
	}
	return get("PROMETHEUS_VERSION"), get("ALERTMANAGER_VERSION")
}

// releaseVersion turns a Go module version into the release it is:
// Prometheus publishes release 3.13.5 as module v0.313.5; Alertmanager's
// module versions are its release versions.
func releaseVersion(module string) string {
	v := strings.TrimPrefix(module, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) == 3 && parts[0] == "0" {
		if minor, err := strconv.Atoi(parts[1]); err == nil && minor >= 100 {
			return fmt.Sprintf("%d.%d.%s", minor/100, minor%100, parts[2])
		}
	}
	return v
}

// needTool returns the path of the pinned build of a monitoring tool
// (prometheus, promtool, alertmanager or amtool), failing the test when it
// has not been built.
func needTool(t testing.TB, name string) string {
	t.Helper()
	promVersion, amVersion := pinnedVersions(t)
	var dir string
	switch name {
	case "prometheus", "promtool":
		dir = "prometheus-" + promVersion
	case "alertmanager", "amtool":
		dir = "alertmanager-" + amVersion
	default:
		t.Fatalf("needTool: unknown tool %s", name)
	}
	path := filepath.Join(toolsDir(t), dir, "bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s not built: %v; %s", name, err, installHint)
	}
	return path
}

// repoRoot is the module root: this package's parent directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// run runs a tool in dir with a timeout and returns its combined output,
// failing the test (with the output) when it exits non-zero.
func run(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v in %s: %v\n%s", name, args, dir, err, out.String())
	}
	return out.String()
}

// lockedBuffer collects a child process's output, which exec copies in from
// its own goroutines while the test may read it for a failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
