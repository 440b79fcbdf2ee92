#!/usr/bin/env bash
# Installs Debian's haproxy package when no haproxy binary is present, so
# that monitoring/compose_test.go can check the fleet profile's load
# balancer configuration (haproxy/haproxy.cfg) with `haproxy -c -f`, the
# same program the haproxy image runs. Only Debian's archive is used.
set -euo pipefail

if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
	echo ">> haproxy present"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo ">> no haproxy and no apt-get: install HAProxy 2.6 or later for the compose fleet test" >&2
	exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo ">> installing haproxy from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends haproxy >/dev/null
