#!/usr/bin/env bash
# Binaries some tests start themselves: PgBouncer (tests/resilience, the HTTP suite through a
# pooler) and, when no Redis answers on 127.0.0.1:6379, redis-server (tests/ops).
# Installs what is missing with apt-get when it can; otherwise says what to install.
set -euo pipefail

missing=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if [ -z "${TEST_REDIS_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} for the test suite"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian's packages may start system instances; the tests start their own.
  for service in "${missing[@]}"; do (service "$service" stop || true) >/dev/null 2>&1; done
  exit 0
fi
echo "the test suite needs: ${missing[*]} (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
exit 1
