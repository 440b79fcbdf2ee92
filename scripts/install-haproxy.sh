#!/usr/bin/env bash
# Installs Debian's haproxy package when no haproxy binary is present, so
# that monitoring/compose_test.go can check the fleet profile's load
# balancer configuration (haproxy/haproxy.cfg) with `haproxy -c -f`, the
# same program the haproxy image runs.
set -euo pipefail

if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
	echo ">> haproxy present"
	exit 0
fi
exec "$(dirname "$0")/apt-install.sh" "HAProxy 2.6 or later for the compose fleet test" haproxy
