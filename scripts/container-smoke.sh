#!/usr/bin/env bash
# Build the image and run it as production would, against a real PostgreSQL:
#   hadolint -> build -> image config (non-root, EXPOSE, HEALTHCHECK) -> migrate -> serve ->
#   /health/ready, a task created and read back with a token, JSON-only logs, the HEALTHCHECK,
#   SIGTERM -> exit 0.
#
# Uses docker when a Docker engine answers, podman otherwise (installed with apt-get when missing
# and run as root). Where no image registry is reachable, BASE_IMAGE=local builds a Debian
# bookworm base with Python 3.11 from the distribution's own packages (debootstrap) and uses it.
#
# Settings (environment):
#   BASE_IMAGE=python:3.12-slim   the Dockerfile's base; `local` to build one here
#   SMOKE_DATABASE_URL=...        a PostgreSQL the container can reach (host network); default:
#                                 a fresh database on postgresql://postgres@127.0.0.1:5432
#   SMOKE_WORK=/tmp/taskhub-smoke podman's storage, the local base's rootfs, logs
#   SMOKE_PORT=18080              where the container listens (host network)
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${BASE_IMAGE:-python:3.12-slim}
WORK=${SMOKE_WORK:-/tmp/taskhub-smoke}
PORT=${SMOKE_PORT:-18080}
IMAGE=localhost/taskhub:smoke
NAME=taskhub-smoke-$$
LOCAL_BASE=localhost/taskhub-base:bookworm
mkdir -p "$WORK/logs"

say() { printf '==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# --- the engine ------------------------------------------------------------------------------
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  ENGINE=docker
  build_flags=()
else
  if ! command -v podman >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || fail "neither a Docker engine nor podman (apt-get install podman)"
    say "installing podman"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      podman runc conmon containernetworking-plugins >"$WORK/logs/apt.log"
  fi
  ENGINE=podman
  # Storage and configuration of this script's own, under $WORK; runc (crun refuses this kernel's
  # hybrid cgroups), cgroupfs and a file event log: no systemd here.
  mkdir -p "$WORK/storage" "$WORK/run/tmp"
  printf '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n' "$WORK/run" "$WORK/storage" >"$WORK/storage.conf"
  printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s"\nimage_copy_tmp_dir = "%s"\n' \
    "$WORK/run/events.log" "$WORK/run/tmp" >"$WORK/containers.conf"
  export CONTAINERS_STORAGE_CONF=$WORK/storage.conf CONTAINERS_CONF=$WORK/containers.conf
  # Builds run their steps in a chroot on the host's network (no OCI runtime, the host's resolver
  # and package index); the docker format keeps HEALTHCHECK, which OCI images drop.
  build_flags=(--isolation chroot --network host --format docker)
  # Egress may be TLS-intercepted by a proxy whose CA only the host trusts: lend the host's bundle
  # to the build steps (not to the image).
  bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  [ -f "$bundle" ] && build_flags+=(--volume "$bundle:/etc/ssl/certs/ca-certificates.crt:ro")
fi
say "engine: $ENGINE"

# --- the base image --------------------------------------------------------------------------
local_base() {
  if $ENGINE image exists "$LOCAL_BASE" 2>/dev/null || $ENGINE image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
    return
  fi
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)
  say "building a local Debian bookworm base from $mirror"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$WORK/rootfs" "$mirror" \
    >"$WORK/logs/debootstrap.log" 2>&1 || fail "debootstrap (see $WORK/logs/debootstrap.log)"
  rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
  tar -C "$WORK/rootfs" --numeric-owner -c . | $ENGINE import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV LANG=C.UTF-8' \
    - "$LOCAL_BASE" >/dev/null
  rm -rf "$WORK/rootfs"
}
if [ "$BASE_IMAGE" = local ]; then
  local_base
  BASE_IMAGE=$LOCAL_BASE
fi

# --- lint and build --------------------------------------------------------------------------
hadolint=$(command -v hadolint || echo .venv/bin/hadolint)
if [ -x "$hadolint" ]; then say "hadolint"; "$hadolint" Dockerfile; fi

say "building $IMAGE on $BASE_IMAGE"
pip_index=${PIP_INDEX_URL:-$(pip config get global.index-url 2>/dev/null || true)}
build_args=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
case "$pip_index" in http*) build_args+=(--build-arg "PIP_INDEX_URL=$pip_index") ;; esac
$ENGINE build "${build_flags[@]}" "${build_args[@]}" -t "$IMAGE" . >"$WORK/logs/build.log" 2>&1 ||
  { tail -30 "$WORK/logs/build.log"; fail "build (see $WORK/logs/build.log)"; }

$ENGINE image inspect "$IMAGE" | python3 -c '
import json, sys
image = json.load(sys.stdin)[0]
config = image["Config"]
user = (config.get("User") or "").split(":")[0]
assert user and user not in ("0", "root"), f"the image runs as root ({user!r})"
assert config.get("ExposedPorts"), "no EXPOSE"
assert image.get("Healthcheck") or config.get("Healthcheck"), "no HEALTHCHECK"
ports = list(config["ExposedPorts"])
print(f"==> image: user {user}, ports {ports}, a HEALTHCHECK")'

# --- a database, a secret, a token -----------------------------------------------------------
DATABASE=""
if [ -z "${SMOKE_DATABASE_URL:-}" ]; then
  DATABASE=taskhub_smoke_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DATABASE" >/dev/null || fail "no PostgreSQL on 127.0.0.1:5432 (set SMOKE_DATABASE_URL)"
  SMOKE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$DATABASE
fi
SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
cleanup() {
  $ENGINE rm -f "$NAME" >/dev/null 2>&1 || true
  [ -z "$DATABASE" ] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# podman run may not raise rlimits here (no CAP_SYS_RESOURCE), and its defaults are higher than
# the host's: pass the current ones (processes capped, as runc refuses more than the host allows).
limits=()
if [ "$ENGINE" = podman ]; then
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu); { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
fi
env_args=(-e "DATABASE_URL=$SMOKE_DATABASE_URL" -e "BETTER_AUTH_SECRET=$SECRET" -e "PORT=$PORT")

# --- migrate, serve, probe -------------------------------------------------------------------
say "taskhub migrate"
$ENGINE run --rm --no-healthcheck --network host "${limits[@]}" "${env_args[@]}" "$IMAGE" migrate >"$WORK/logs/migrate.log" 2>&1 ||
  { cat "$WORK/logs/migrate.log"; fail "migrate"; }

say "taskhub serve"
# (podman says on stderr that it cannot schedule the HEALTHCHECK without systemd: it is run by
# hand below.)
$ENGINE run -d --name "$NAME" --network host "${limits[@]}" "${env_args[@]}" "$IMAGE" >/dev/null 2>>"$WORK/logs/engine.log"
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 150); do
  curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break
  [ "$($ENGINE inspect -f '{{.State.Running}}' "$NAME")" = true ] || { $ENGINE logs "$NAME" | tail -20; fail "the container died"; }
  sleep 0.2
done
curl -fs "$BASE/health/ready" >/dev/null || { $ENGINE logs "$NAME" | tail -20; fail "never ready"; }
say "ready: $(curl -s "$BASE/health/ready")"

TOKEN=$($ENGINE exec -e "BETTER_AUTH_SECRET=$SECRET" "$NAME" taskhub token --sub smoke-user --ttl 5m)
created=$(curl -fs -X POST "$BASE/api/tasks" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"title": "Smoke test", "tags": ["container"]}') || fail "create"
id=$(printf '%s' "$created" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
curl -fs "$BASE/api/tasks/$id" -H "Authorization: Bearer $TOKEN" | grep -q '"title":"Smoke test"' || fail "read back"
say "created and read back task $id"

uid=$($ENGINE exec "$NAME" id -u)
[ "$uid" != 0 ] || fail "the server runs as root"
if [ "$ENGINE" = podman ]; then $ENGINE healthcheck run "$NAME" 2>/dev/null || fail "HEALTHCHECK"; fi
say "uid $uid, HEALTHCHECK passes"

say "SIGTERM"
$ENGINE stop -t 20 "$NAME" >/dev/null 2>>"$WORK/logs/engine.log"
status=$($ENGINE inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
$ENGINE logs "$NAME" >"$WORK/logs/serve.log" 2>&1
python3 - "$WORK/logs/serve.log" <<'PY' || fail "a log line that is not JSON (see $WORK/logs/serve.log)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no log"
for line in lines:
    json.loads(line)
print(f"==> {len(lines)} log lines, each one JSON")
PY
say "RESULT: $ENGINE built $IMAGE and ran it: migrated, ready, served a task, stopped cleanly"
