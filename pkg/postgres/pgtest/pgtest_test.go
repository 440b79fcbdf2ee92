package pgtest

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary a cluster owner for TestStart_Reaps: it
// starts a cluster, prints its directory, and stops it when its stdin
// closes (unless it is killed first).
const childEnv = "AWARDTRACKER_PGTEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		s, err := Start()
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(2)
		}
		os.Stdout.WriteString(s.dir + "\n")
		io.Copy(io.Discard, os.Stdin)
		if err := s.Close(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// owner is a child process that owns a cluster.
type owner struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	dir   string
}

func startOwner(t *testing.T) *owner {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &owner{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child: no cluster directory: %v", err)
	}
	o.dir = strings.TrimSpace(line)
	return o
}

// postmaster is the pid of the cluster's server process.
func postmaster(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func alive(pid int) bool { return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// exits reports whether the process pid ends. pg_ctl stop returns once the
// postmaster removed its pid file, a moment before the process is gone;
// the minute is a failsafe, not a threshold.
func exits(pid int) bool {
	for deadline := time.Now().Add(time.Minute); alive(pid); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// TestStart_Reaps: the cluster of a test process that was SIGKILLed keeps
// running until the next Start, which stops it and removes its directory;
// the cluster of a process that still runs is left alone.
func TestStart_Reaps(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Skip("uses " + EnvURL + ": no clusters of its own to reap")
	}
	if _, err := binDir(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// A directory of our own, so that no other test binary's clusters
	// take part; the postgres user must reach into it when we are root.
	tmp := t.TempDir()
	for _, d := range []string{tmp, filepath.Dir(tmp)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", tmp)

	killed, living := startOwner(t), startOwner(t)
	pid := postmaster(t, killed.dir)
	if err := killed.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed.cmd.Wait()
	if !alive(pid) {
		t.Fatal("the killed process's cluster stopped by itself: nothing to reap")
	}

	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !exits(pid) {
		t.Errorf("the killed process's postmaster (pid %d) still runs a minute after Start", pid)
	}
	if _, err := os.Stat(killed.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed process's directory: got %v, want it removed", err)
	}
	if !alive(postmaster(t, living.dir)) {
		t.Error("the living process's cluster was stopped")
	}
	if _, err := os.Stat(s.dir); err != nil {
		t.Errorf("Start's own directory: %v", err)
	}

	// Its owner stops it as usual.
	living.stdin.Close()
	if err := living.cmd.Wait(); err != nil {
		t.Errorf("the living owner: %v", err)
	}
	if _, err := os.Stat(living.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the living owner's directory after its Close: got %v, want it removed", err)
	}
}
