// Package bench is awardtracker's benchmark suite: the Go benchmarks in its
// test files, and the fixtures and service stacks they share with the
// driver in bench/cmd/benchsuite, which adds the HTTP (wrk) and LoTW sync
// measurements and prints one table (`make bench`).
//
// Every figure is measured against a baseline taken in the same run on the
// same machine, and the stacks are assembled from the real packages the way
// cmd/awardtracker assembles them: real SQLite files, caches with metrics,
// query tracking, authentication.
//
// It is not a load-testing tool and it asserts nothing: no benchmark fails
// because it is slow. Whether a target is met is decided by the driver and
// reported in the table. Load only ever goes to 127.0.0.1.
package bench
