// Package disktest makes a process's writes fail the way a full or failing
// disk does, for tests of what the service does then (refused imports, no
// ghost accounts, an unhealthy database). It is imported by tests only.
package disktest

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Full makes every write of process pid (0: this process) to a regular file
// fail: RLIMIT_FSIZE 0, so the kernel answers EFBIG (Go ignores SIGXFSZ).
// Unlike a read-only file mode it stops root too; unlike a small tmpfs it
// needs no mount privileges; unlike SQLite's max_page_count it fails the
// commit itself, where the write-ahead log is written.
//
// The returned func lifts the limit; for this process the test's cleanup
// lifts it too. Tests that fill their own process's disk must not run in
// parallel.
func Full(t testing.TB, pid int) (restore func()) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = 0
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &lim, nil); err != nil {
		t.Fatal(err)
	}
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil); err != nil {
			t.Fatal(err)
		}
	}
	if pid == 0 {
		t.Cleanup(restore)
	}
	return restore
}
