#!/usr/bin/env bash
# Programs some tests start themselves: PgBouncer (tests/resilience, the HTTP suite through a
# pooler), redis-server (tests/ops: a Redis on a unix socket and one over TLS, and one on TCP
# when none answers on 127.0.0.1:6379), Chromium with its chromedriver (tests/e2e: the web
# example in a real browser; Debian's driver, so Selenium never downloads one), and Node.js with
# npm (tests/ops: the TypeScript client's generated types and its compile check).
# Installs what is missing with apt-get when it can (as root); otherwise stops with one line
# saying what to install.
set -euo pipefail

missing=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
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
echo "make test needs ${missing[*]}: sudo apt-get install ${missing[*]} (Debian/Ubuntu), or your system's packages" >&2
exit 1
