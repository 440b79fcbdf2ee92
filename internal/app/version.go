package app

import (
	"runtime/debug"

	"github.com/prometheus/common/version"
)

// The version is prometheus/common/version's Version, which -ldflags set
// (Makefile, Dockerfile) and which --version, awardtracker_build_info, the
// "Serving" log line and the LoTW/DCL User-Agent all show. A build without
// -ldflags (go build, go install, tests, the benchmark suite) still names
// itself: the module version go install records, or "devel".
func init() {
	if version.Version != "" {
		return
	}
	version.Version = "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version.Version = bi.Main.Version
	}
}
