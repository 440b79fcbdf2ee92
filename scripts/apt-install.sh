#!/usr/bin/env bash
# apt-install.sh WHAT PACKAGE...: installs Debian's packages (with sudo when
# not root), for .ci/run and the install scripts beside it, which check first
# whether the program is there. WHAT names what to install by hand where
# there is no apt-get. Only Debian's archive is used.
set -euo pipefail

what="$1"
shift
if ! command -v apt-get >/dev/null 2>&1; then
	echo ">> no $* and no apt-get: install ${what}" >&2
	exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo ">> installing $* from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
