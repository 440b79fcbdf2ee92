package lotw_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// openSpoolFiles lists the files of dir this process still holds open
// (deleted or not), from /proc/self/fd.
func openSpoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var open []string
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir+"/") {
			open = append(open, target)
		}
	}
	return open
}

// A report beyond MaxReportBytes fails before anything is parsed, and its
// spool file is gone: not in the directory, not held open.
func TestClient_MaxReportBytes(t *testing.T) {
	s := lotwtest.NewServer()
	defer s.Close()
	s.AddAccount(login, password)
	s.SetGenerated(login, 500, lotwtest.Generated) // about 330 KB
	dir := t.TempDir()
	c := lotw.New(lotw.Options{URL: s.URL, SpoolDir: dir, MaxReportBytes: 64 << 10})
	rep, err := c.Fetch(context.Background(), login, password, "")
	if rep != nil || !errors.Is(err, lotw.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 65536 bytes") ||
		awardtracker.UpstreamCodeOf(err) != awardtracker.UpstreamTooLarge {
		t.Fatalf("got %v, %v; want ErrTooLarge", rep, err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("%d files in the spool directory, want 0", len(files))
	}
	if open := openSpoolFiles(t, dir); len(open) != 0 {
		t.Fatalf("spool files still open: %v", open)
	}

	// The same report within the limit downloads.
	c = lotw.New(lotw.Options{URL: s.URL, SpoolDir: dir, MaxReportBytes: 1 << 20})
	rep, err = c.Fetch(context.Background(), login, password, "")
	if err != nil {
		t.Fatal(err)
	}
	if recs, err := collect(t, rep); err != nil || len(recs) != 500 {
		t.Fatalf("got %d records, %v; want 500", len(recs), err)
	}
}

// APP_LoTW_LASTQSL becomes the cursor only when it is a past
// "YYYY-MM-DD HH:MM:SS"; junk is reported, and the records still apply.
func TestClient_LastQSL(t *testing.T) {
	body, err := adiftest.ReadFile("lotw-report.adi")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, lastQSL, want string
	}{
		{"Valid", "2025-09-20 01:39:22", "2025-09-20 01:39:22"},
		{"Now", "2026-11-27 12:00:00", "2026-11-27 12:00:00"},
		{"Future", "2026-11-27 12:00:01", ""},
		{"FarFuture", "9999-12-31 23:59:59", ""},
		{"Junk", "2025-13-45 99:99:99", ""},
		{"Words", "'; DROP TABLE--", ""},
		{"Empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page := strings.Replace(string(body), "<APP_LoTW_LASTQSL:19>2025-09-20 01:39:22",
				fmt.Sprintf("<APP_LoTW_LASTQSL:%d>%s", len(tt.lastQSL), tt.lastQSL), 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, page) }))
			defer srv.Close()
			c := lotw.New(lotw.Options{URL: srv.URL, Now: func() time.Time { return now }})
			rep, err := c.Fetch(context.Background(), login, password, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Cursor(); got != tt.want {
				t.Fatalf("Cursor() = %q, want %q", got, tt.want)
			}
			if problem := rep.CursorProblem(); (problem == "") != (tt.want != "") {
				t.Fatalf("CursorProblem() = %q for cursor %q", problem, tt.want)
			}
			if recs, err := collect(t, rep); err != nil || len(recs) != 6 {
				t.Fatalf("got %d records, %v; want the 6 applied", len(recs), err)
			}
		})
	}
}
