// Package bench is awardtracker's benchmark suite: the Go benchmarks in its
// test files, and the fixtures they share with the driver in
// bench/cmd/benchsuite, which adds the HTTP (wrk) and LoTW sync
// measurements and prints one table (`make bench`).
//
// Every figure is measured against a baseline taken in the same run on the
// same machine, and the service measured is the one cmd/awardtracker runs:
// Open runs internal/app's assembly (real SQLite files, caches with
// metrics, query tracking, authentication, the syncer, the HTTP API), so
// its /metrics has the series production exports.
//
// It is not a load-testing tool and it asserts nothing: no benchmark fails
// because it is slow. Whether a target is met is decided by the driver and
// reported in the table. Load only ever goes to 127.0.0.1.
package bench
