package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// TestMain lets a test start the real command as a child process by
// re-executing the test binary: no separate build, same code.
func TestMain(m *testing.M) {
	if os.Getenv("AWARDTRACKER_TEST_CHILD") == "1" {
		main()
		return
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// child is the command running as a separate process.
type child struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan error
}

var servingRE = regexp.MustCompile(`msg=Serving url=(http://\S+)`)

// startChild starts the command in a child process and waits until it serves.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	// Tests poll the API faster than a person would: no API or health rate limit
	// unless a test asks for one.
	args = append([]string{"--web.listen-address=127.0.0.1:0", "--log.format=text", "--web.rate-limit.api=0", "--web.rate-limit.health=0"}, args...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AWARDTRACKER_TEST_CHILD=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(c.logs, line)
			if m := servingRE.FindStringSubmatch(line); m != nil {
				urlc <- m[1]
			}
		}
	}()
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-c.done
		}
	})
	select {
	case c.URL = <-urlc:
	case err := <-c.done:
		t.Fatalf("child exited before serving: %v\n%s", err, c.logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("child not serving after 2 minutes:\n%s", c.logs.String())
	}
	return c
}

// kill sends SIGKILL: no cleanup runs in the child.
func (c *child) kill() {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	<-c.done
}

// stop sends SIGTERM and returns the exit error.
func (c *child) stop() error {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	select {
	case err := <-c.done:
		return err
	case <-time.After(time.Minute):
		c.t.Fatalf("child did not stop within a minute of SIGTERM:\n%s", c.logs.String())
		return nil
	}
}

// waitFor polls cond until it holds or the deadline passes. Polling a
// condition is how a test waits on another process; the deadline is a
// failure bound, not a performance assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// generatedADIF writes n QSOs as an own-log ADIF file.
func generatedADIF(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, "generated\n<ADIF_VER:5>3.1.4<EOH>\n")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	f := func(name, v string) { fmt.Fprintf(bw, "<%s:%d>%s ", name, len(v), v) }
	for i := range n {
		t := start.Add(time.Duration(i) * time.Hour)
		f("STATION_CALLSIGN", "N0CALL")
		f("CALL", fmt.Sprintf("K%dX%c%c", i%10, 'A'+i/26%26, 'A'+i%26))
		f("QSO_DATE", t.Format("20060102"))
		f("TIME_ON", t.Format("1504"))
		f("BAND", "20m")
		f("MODE", "FT8")
		f("DXCC", "291")
		fmt.Fprint(bw, "<EOR>\n")
	}
	return bw.Flush()
}

var _ = context.Background
var _ = net.Dial
var _ = strings.Contains
