#!/usr/bin/env bash
# Installs Debian's postgresql package when no PostgreSQL server binaries are
# present, for the storage tests on PostgreSQL (pkg/postgres/pgtest starts a
# throwaway cluster from them). Skipped when AWARDTRACKER_TEST_POSTGRES_URL
# names a server of one's own.
set -euo pipefail

if [ -n "${AWARDTRACKER_TEST_POSTGRES_URL:-}" ]; then
	echo ">> using the PostgreSQL at \$AWARDTRACKER_TEST_POSTGRES_URL"
	exit 0
fi
if compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || command -v pg_ctl >/dev/null 2>&1; then
	echo ">> postgresql present"
	exit 0
fi
exec "$(dirname "$0")/apt-install.sh" "PostgreSQL's server binaries, or set AWARDTRACKER_TEST_POSTGRES_URL" postgresql
