#!/usr/bin/env bash
# The PgBouncer tests start a real PgBouncer (Debian's package). Install it when it is missing.
set -euo pipefail
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing pgbouncer (needed by tests/resilience/test_pgbouncer.py)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq pgbouncer >/dev/null
  # Debian's package may start a system instance; the tests start their own.
  (service pgbouncer stop || true) >/dev/null 2>&1
  exit 0
fi
echo "pgbouncer is missing: install it (Debian/Ubuntu: sudo apt-get install pgbouncer) and run make test again" >&2
exit 1
