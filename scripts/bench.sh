#!/usr/bin/env bash
# Runs the benchmark suite behind `make bench` and prints its table: the Go
# benchmarks of ./bench summarised by benchstat, wrk against the service and
# a bare Echo handler, and a 100,000-record LoTW sync. Installs wrk (Debian)
# if it is missing. Arguments go to bench/cmd/benchsuite (-h lists them).
# Raw results land in bin/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCHSTAT_VERSION="${BENCHSTAT_VERSION:-v0.0.0-20260908200009-22c9c6c9d4da}"
export CGO_ENABLED=1

if ! command -v wrk >/dev/null 2>&1; then
	./scripts/apt-install.sh "wrk (https://github.com/wg/wrk)" wrk
fi

mkdir -p bin
echo ">> building benchstat ${BENCHSTAT_VERSION}"
GOBIN="$PWD/bin" go install "golang.org/x/perf/cmd/benchstat@${BENCHSTAT_VERSION}"
echo ">> building the suite driver"
go build -o bin/benchsuite ./bench/cmd/benchsuite
exec bin/benchsuite -benchstat bin/benchstat "$@"
