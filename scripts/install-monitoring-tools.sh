#!/usr/bin/env bash
# Installs the monitoring tools the tests in ./monitoring need: promtool and
# prometheus (Debian package "prometheus"), amtool and the Alertmanager
# server (Debian package "prometheus-alertmanager"). Does nothing when they
# are all on PATH, so it is cheap to run before every `make test`.
#
# Only Debian's packages are used: CI and developer machines reach no other
# download site, and Debian's builds are what the tests are written against
# (bookworm: prometheus 2.42, alertmanager 0.25).
set -euo pipefail

missing=()
command -v promtool   >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool     >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)

if [ "${#missing[@]}" -eq 0 ]; then
	echo ">> monitoring tools present: $(command -v promtool prometheus amtool prometheus-alertmanager | tr '\n' ' ')"
	exit 0
fi

# De-duplicate: promtool and prometheus come from the same package.
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "install-monitoring-tools: need root (or sudo) to apt-get install ${pkgs[*]}" >&2
		exit 1
	fi
fi

echo ">> installing ${pkgs[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# --no-install-recommends keeps prometheus-node-exporter out; the package's
# postinst may try to start the service, which is harmless where there is no
# init system and is stopped below where there is one.
$sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null

# The tests start their own prometheus on a free loopback port; a system
# service left running would only hold :9090 and :9093.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for unit in prometheus prometheus-alertmanager; do
		$sudo systemctl disable --now "$unit" >/dev/null 2>&1 || true
	done
fi

for tool in promtool prometheus amtool prometheus-alertmanager; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-monitoring-tools: $tool still missing after installing ${pkgs[*]}" >&2
		exit 1
	fi
done
echo ">> $(promtool --version 2>&1 | head -1)"
echo ">> $(amtool --version 2>&1 | head -1)"
