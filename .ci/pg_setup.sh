#!/usr/bin/env bash
# Starts a local PostgreSQL for the ledger tests (Debian, run as root) and
# prints the KASSE_TEST_PG to export. Safe to run again.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGVER=$(ls /etc/postgresql | sort -n | tail -1)
pg_ctlcluster "$PGVER" main status >/dev/null 2>&1 || pg_ctlcluster "$PGVER" main start
# Password login over TCP (scram-sha-256 is Debian's default for 127.0.0.1).
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'kasse'\""
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'kasse_test'\"" | grep -q 1 \
    || su postgres -c "createdb kasse_test"
echo "export KASSE_TEST_PG=postgres://postgres:kasse@127.0.0.1/kasse_test"
