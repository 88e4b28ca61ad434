#!/usr/bin/env bash
# A Docker engine of the tests' own (TESTING.md "The real Docker engine"):
# Debian's docker.io, started with everything under a fresh temporary
# directory (data root, exec root with its containerd, pidfile, socket),
# so that it cannot collide with any other dockerd on the machine, and
# stopped by its pid.
#
#   docker_engine.sh start STATE STEWARD   start it; STATE (a file) records it
#   docker_engine.sh stop STATE            stop it and remove its directory
#
# The engine's --init-path is a copy of STEWARD: `docker run --init` then
# runs steward as the container's init (the drop-in for docker-init).
# start exits 77 (skipped) with the reason when no engine can start here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
. "$here/../packaging/lib.sh"

cmd=${1:?usage: docker_engine.sh start STATE STEWARD | stop STATE}
state=${2:?usage: docker_engine.sh start STATE STEWARD | stop STATE}

stop_engine() {
  [ -f "$state" ] || return 0
  # shellcheck disable=SC1090
  . "$state"
  if [ -n "${DOCKERD_PID:-}" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    # Containers left by a failed test first, then the daemon (which stops
    # its own containerd).
    ids=$(DOCKER_HOST=$DOCKER_HOST docker ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || DOCKER_HOST=$DOCKER_HOST docker rm -f $ids >/dev/null 2>&1 || true
    kill -TERM "$DOCKERD_PID"
    for _ in $(seq 300); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID"
  fi
  if [ -n "${DOCKER_DIR:-}" ] && [ -d "$DOCKER_DIR" ]; then
    # overlay mounts of a dead daemon would keep the data root busy.
    { grep -o " $DOCKER_DIR/[^ ]*" /proc/mounts || true; } | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$DOCKER_DIR"
  fi
  rm -f "$state"
}

if [ "$cmd" = stop ]; then
  stop_engine
  echo "docker engine stopped"
  exit 0
fi

steward=$(readlink -f "${3:?usage: docker_engine.sh start STATE STEWARD}")
stop_engine  # a state left by an interrupted run
skip_if_slow_disabled "the Docker engine tests"
[ "$(id -u)" -eq 0 ] || skip "dockerd needs root"
ensure_packages docker.io busybox-static || skip "docker.io cannot be installed here"

dir=$(mktemp -d /tmp/steward-dockerd.XXXXXX)
mkdir -p "$dir/data" "$dir/exec" "$dir/run"
install -m 0755 "$steward" "$dir/steward-init"
sock="unix://$dir/run/docker.sock"
# No bridge and no iptables: the tests run containers with --network none.
dockerd --iptables=false --ip-masq=false --bridge=none \
  --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/run/dockerd.pid" \
  -H "$sock" --init-path "$dir/steward-init" >"$dir/dockerd.log" 2>&1 &
pid=$!
printf 'DOCKER_HOST=%q\nDOCKERD_PID=%q\nDOCKER_DIR=%q\n' "$sock" "$pid" "$dir" >"$state"
for _ in $(seq 600); do  # up to 60 s on a loaded machine
  DOCKER_HOST=$sock docker info >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if ! DOCKER_HOST=$sock docker info >/dev/null 2>&1; then
  tail -n 15 "$dir/dockerd.log" >&2
  stop_engine
  skip "dockerd cannot start here (its log is above)"
fi
echo "dockerd $(DOCKER_HOST=$sock docker version --format '{{.Server.Version}}') (pid $pid) on $sock"
