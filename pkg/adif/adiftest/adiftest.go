// Package adiftest holds the sample files that the tests of every package
// read, one copy of each: an own log, LoTW reports (full, empty in both
// shapes, cut short), LoTW's HTML answers to a bad login and to too many
// requests, a DCL export and DCL's JSON answer around it.
//
// The files are embedded rather than read by relative path because the fake
// servers (lotwtest, dcltest) serve them too, and go:embed cannot reach a
// file outside its package's directory. The package imports nothing of this
// module, so package adif's own tests can use it too.
package adiftest

import (
	"embed"
	"io/fs"
)

//go:embed testdata
var files embed.FS

// FS holds the sample files by base name ("own-log.adi").
var FS fs.FS = mustSub(files, "testdata")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("adiftest: " + err.Error())
	}
	return sub
}

// ReadFile returns a copy of the named sample file.
func ReadFile(name string) ([]byte, error) { return fs.ReadFile(FS, name) }

// Names lists the sample files.
func Names() []string {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		panic("adiftest: " + err.Error())
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
