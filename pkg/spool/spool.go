// Package spool copies a stream to a temporary file before anyone parses
// it, so that a slow sender (a client uploading an ADIF file, LoTW building
// a report) is waited for without holding a database transaction open, and
// memory stays bounded however large the stream.
//
// FileMax also bounds the stream, so that a sender that never stops cannot
// fill the disk. It does not parse the stream.
package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge: the stream is longer than FileMax allows.
var ErrTooLarge = errors.New("spool: stream too large")

// File copies r to a new file in dir ("" means os.TempDir()) named after
// pattern (as os.CreateTemp), rewound and ready to read. The file is
// unlinked at once, so nothing is left behind even if the process dies;
// closing it frees the space.
func File(r io.Reader, dir, pattern string) (*os.File, error) {
	return FileMax(r, dir, pattern, -1)
}

// FileMax is File for at most max bytes (max < 0: no bound). A longer stream
// fails with an error wrapping ErrTooLarge as soon as byte max+1 arrives;
// the file is closed then, which frees its space at once (it is unlinked).
func FileMax(r io.Reader, dir, pattern string, max int64) (*os.File, error) {
	if max >= 0 {
		r = io.LimitReader(r, max+1)
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if err != nil {
		f.Close()
		return nil, err
	}
	if max >= 0 && n > max {
		f.Close()
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
