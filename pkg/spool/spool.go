// Package spool copies a stream to a temporary file before anyone parses
// it, so that a slow sender (a client uploading an ADIF file, LoTW building
// a report) is waited for without holding a database transaction open, and
// memory stays bounded however large the stream.
//
// It does not parse or limit the stream: callers wrap the reader for that.
package spool

import (
	"io"
	"os"
)

// File copies r to a new file in dir ("" means os.TempDir()) named after
// pattern (as os.CreateTemp), rewound and ready to read. The file is
// unlinked at once, so nothing is left behind even if the process dies;
// closing it frees the space.
func File(r io.Reader, dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
