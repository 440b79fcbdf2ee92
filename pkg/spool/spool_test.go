package spool_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/awardtracker/awardtracker/pkg/spool"
)

func TestFile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		f, err := spool.File(strings.NewReader("<eoh>hello"), dir, "x-*.adi")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("%d files left in the directory, want 0 (unlinked)", len(files))
		}
		b, _ := io.ReadAll(f)
		if string(b) != "<eoh>hello" {
			t.Errorf("got %q, want the whole stream from the start", b)
		}
	})
	t.Run("ErrRead", func(t *testing.T) {
		dir := t.TempDir()
		boom := errors.New("connection reset")
		_, err := spool.File(iotest.ErrReader(boom), dir, "x-*.adi")
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want the reader's error", err)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("%d files left after a failed spool", len(files))
		}
	})
}

func TestFileMax(t *testing.T) {
	for _, tt := range []struct {
		name string
		max  int64
		in   string
		ok   bool
	}{
		{"Under", 11, "<eoh>hello", true},
		{"Exact", 10, "<eoh>hello", true},
		{"Over", 9, "<eoh>hello", false},
		{"Unbounded", -1, "<eoh>hello", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := spool.FileMax(strings.NewReader(tt.in), dir, "x-*.adi", tt.max)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(f)
				f.Close()
				if string(b) != tt.in {
					t.Fatalf("got %q, want %q", b, tt.in)
				}
				return
			}
			if f != nil || !errors.Is(err, spool.ErrTooLarge) {
				t.Fatalf("got %v, %v; want ErrTooLarge", f, err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("%d files left after a refused spool", len(files))
			}
		})
	}
}
