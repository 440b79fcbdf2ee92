#!/usr/bin/env bash
# Builds the monitoring tools the tests in ./monitoring need, at the versions
# pinned in the Makefile (PROMETHEUS_VERSION, ALERTMANAGER_VERSION: Go module
# versions; module v0.313.5 is Prometheus 3.13.5):
#
#   $TOOLS_DIR/prometheus-<version>/bin/{prometheus,promtool}
#   $TOOLS_DIR/alertmanager-<version>/bin/{alertmanager,amtool}
#
# TOOLS_DIR is $AWARDTRACKER_TOOLS_DIR, else ~/.cache/awardtracker/tools:
# outside the work tree and keyed by version, so every checkout and CI run on
# the same machine reuses one build, and a version bump builds afresh. Does
# nothing when the binaries are there, so it is cheap before every `make test`.
#
# Why not `go install <module>/cmd/promtool@<version>`: go install refuses a
# module whose go.mod has replace directives, and every Prometheus 3 release
# up to 3.15 (3.5 and 3.13, the LTS ones, included) has one. So the script
# downloads the module source with `go mod download` (Go proxy, checksummed
# against sum.golang.org like go install) and runs `go build` inside it, which
# honours the module's own go.mod, go.sum and replace directives exactly as
# upstream's release build does. The -X flags set what `--version` prints, as
# upstream's .promu.yml does; the tests check it.
#
# Build tags: remove_all_sd leaves out the cloud service-discovery SDKs (the
# tests use static targets only), which shortens a cold build a lot. Without
# builtinassets the server has no web UI; the HTTP API the tests use works.
#
# Usage: install-monitoring-tools.sh PROMETHEUS_VERSION ALERTMANAGER_VERSION
# (the Makefile's `tools` target passes its pinned versions).
set -euo pipefail

if [ "$#" -ne 2 ]; then
	echo "usage: $0 PROMETHEUS_VERSION ALERTMANAGER_VERSION (e.g. v0.313.5 v0.28.1; see the Makefile)" >&2
	exit 2
fi
prom_version=$1
am_version=$2
tools_dir=${AWARDTRACKER_TOOLS_DIR:-$HOME/.cache/awardtracker/tools}
go=${GO:-go}

# build MODULE VERSION NAME TOOL... builds each cmd/TOOL of MODULE@VERSION
# into $tools_dir/NAME-VERSION/bin unless all of them are there already.
build() {
	local module=$1 version=$2 name=$3
	shift 3
	local bin="$tools_dir/$name-$version/bin"
	local tool missing=()
	for tool in "$@"; do
		[ -x "$bin/$tool" ] || missing+=("$tool")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		echo ">> $name $version present in $bin"
		return
	fi

	echo ">> building ${missing[*]} from $module@$version into $bin (cold: about 10 minutes on 2 cores)"
	local info src
	if ! info=$("$go" mod download -json "$module@$version"); then
		echo "install-monitoring-tools: go mod download $module@$version failed:" >&2
		echo "$info" >&2
		exit 1
	fi
	src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
	if [ -z "$src" ] || [ ! -f "$src/go.mod" ]; then
		echo "install-monitoring-tools: go mod download $module@$version gave no source directory:" >&2
		echo "$info" >&2
		exit 1
	fi
	local plain_version
	plain_version=$(cat "$src/VERSION")
	local ldflags="-X github.com/prometheus/common/version.Version=$plain_version"
	ldflags+=" -X github.com/prometheus/common/version.Branch=module-$version"
	ldflags+=" -X github.com/prometheus/common/version.BuildUser=install-monitoring-tools"

	# Build into a temporary directory and move the binaries in at the end,
	# so an interrupted build never leaves a half-written tool that the
	# check above would take as installed.
	mkdir -p "$bin"
	local tmp
	tmp=$(mktemp -d "$tools_dir/.build-$name-XXXXXX")
	local pkgs=()
	for tool in "${missing[@]}"; do
		pkgs+=("./cmd/$tool")
	done
	# GOWORK=off: Prometheus ships a go.work naming nested modules that its
	# module zip leaves out. GOFLAGS=-mod=readonly: the source in the module
	# cache is read-only, and its go.sum must be complete as released.
	(cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
		"$go" build -trimpath -tags remove_all_sd -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
	for tool in "${missing[@]}"; do
		mv "$tmp/$tool" "$bin/$tool"
	done
	rmdir "$tmp"
}

started=$(date +%s)
build github.com/prometheus/prometheus "$prom_version" prometheus prometheus promtool
build github.com/prometheus/alertmanager "$am_version" alertmanager alertmanager amtool
if [ "$(($(date +%s) - started))" -gt 5 ]; then
	echo ">> monitoring tools built in $(($(date +%s) - started)) s"
fi
echo ">> $("$tools_dir/prometheus-$prom_version/bin/promtool" --version 2>&1 | head -1)"
echo ">> $("$tools_dir/alertmanager-$am_version/bin/amtool" --version 2>&1 | head -1)"
