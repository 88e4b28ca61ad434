#!/usr/bin/env bash
# steward under the real Docker engine (issue 12), one case per run, on the
# engine tests/container/docker_engine.sh started:
#
#   docker_test.sh CASE STEWARD STATE
#
#   dockerfiles  packaging/docker/Dockerfile.scratch and .layered built and
#                run as their comments say (.debian and .services too with
#                STEWARD_TEST_DEBOOTSTRAP=1); docker stop exits 0
#   health       HEALTHCHECK `steward ctl health` turns healthy, unhealthy
#                when a service fails its check, healthy again; in a FROM
#                scratch image without /run or /tmp
#   stop         docker stop: reverse order, each service finishes, exit 0
#   tty          docker run -it: a shell's job control, Ctrl-C ends the
#                program (exit 130)
#   readonly     --read-only --tmpfs /run: control socket in /run/steward;
#                --read-only alone: a warning, services still run and stop
#   exitcodes    docker run's exit code for the rows of SPEC §1
#   init         dockerd --init-path steward: docker run --init, docker info
#
# Every container runs with --network none (no bridge on the engine).
# Exit 77 (skipped) when the engine did not start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
. "$here/../packaging/lib.sh"

case_=${1:?usage: docker_test.sh CASE STEWARD STATE}
steward=$(readlink -f "${2:?usage: docker_test.sh CASE STEWARD STATE}")
state=${3:?usage: docker_test.sh CASE STEWARD STATE}
skip_if_slow_disabled "the Docker engine tests"
[ -f "$state" ] || skip "no Docker engine (Container.DockerEngineStart skipped or failed)"
# shellcheck disable=SC1090
. "$state"
export DOCKER_HOST DOCKER_BUILDKIT=0
docker info >/dev/null 2>&1 || skip "the Docker engine at $DOCKER_HOST does not answer"

tag="steward-docker-$case_-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-docker.XXXXXX")
containers=()
images=()
cleanup() {
  local c i
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  for i in "${images[@]}"; do docker rmi -f "$i" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

build() {  # build TAG DOCKERFILE CONTEXT
  docker build -q -t "$1" -f "$2" "$3" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; fail "docker build of $2 failed"; }
  images+=("$1")
}
run_d() {  # run_d NAME ARGS... (detached, --network none)
  local name=$1; shift
  docker run -d --network none --name "$name" "$@" >/dev/null
  containers+=("$name")
}
wait_for() {  # wait_for SECONDS CMD...
  local t=$1 i; shift
  for ((i = 0; i < t * 5; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
# grep reads everything (no -q): with pipefail, an early exit of grep would
# fail the pipeline through docker logs' SIGPIPE even on a match.
logs_have() { docker logs "$1" 2>&1 | grep -- "$2" >/dev/null; }
health() { docker inspect "$1" --format '{{.State.Health.Status}}'; }
exit_code() { docker inspect "$1" --format '{{.State.ExitCode}}'; }
# stop_and_check NAME: docker stop (SIGTERM, SIGKILL after 10 s); exit 0,
# well inside the 10 s.
stop_and_check() {  # stop_and_check NAME [BOUND-MS, default 9000]
  local name=$1 bound=${2:-9000} t0 t1 code
  t0=$(date +%s%N)
  docker stop -t 10 "$name" >/dev/null
  t1=$(date +%s%N)
  code=$(exit_code "$name")
  docker logs "$name" >"$work/$name.log" 2>&1 || true
  sed 's/^/  | /' "$work/$name.log" | tail -n 20
  echo "  docker stop: $(((t1 - t0) / 1000000)) ms, exit code $code"
  [ "$code" = 0 ] || fail "$name: exit code $code after docker stop, expected 0 (137: SIGKILLed)"
  [ $(((t1 - t0) / 1000000)) -lt "$bound" ] || fail "$name: the stop took until docker's SIGKILL"
}

# A FROM scratch image with nothing but steward, busybox and the services
# written into $work/bare/etc/services: no /run, no /tmp, so steward must
# make its runtime directory itself.
bare_image() {  # bare_image TAG [ENTRYPOINT-JSON]
  local ctx=$work/bare
  mkdir -p "$ctx/bin" "$ctx/etc/services"
  cp /bin/busybox "$ctx/bin/busybox"
  for a in sh sleep echo touch rm test cat ps kill ls; do ln -sf busybox "$ctx/bin/$a"; done
  cp "$steward" "$ctx/steward"
  chmod -R go-w "$ctx/etc"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
ENV PATH=/usr/sbin:/bin
COPY bin/ /bin/
COPY etc/ /etc/
COPY steward /usr/sbin/steward
HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/usr/sbin/steward", "ctl", "health"]
ENTRYPOINT ${2:-[\"/usr/sbin/steward\"]}
DOCKERFILE
  build "$1" "$ctx/Dockerfile" "$ctx"
}
# A service of the chain: up, ready by file, 300 ms of work after SIGTERM.
svc() {  # svc NAME DEPENDS [EXTRA-TOML]
  cat >"$work/bare/etc/services/$1.toml" <<TOML
depends_on = [$2]
stop_grace_period = "5s"
command = """
trap 'echo "$1: finishing"; sleep 0.3; echo "$1: done"; exit 0' TERM
echo "$1: up"
touch \${READY_DIR:-}/$1.ready
while :; do sleep 1 & wait \$\$!; done
"""
[ready]
file = "\${READY_DIR:-}/$1.ready"
${3:-}
TOML
}
chain() {
  mkdir -p "$work/bare/etc/services"
  svc db ''
  svc app '"db"' '[healthcheck]
test = ["CMD-SHELL", "test ! -e /sick"]
interval = "1s"
retries = 1'
  svc web '"app"'
}
check_order() {  # check_order LOG: web, then app, then db finished
  local log=$1 n
  line() { grep -n -- "$1" "$log" | head -1 | cut -d: -f1; }
  for s in web app db; do
    [ -n "$(line "$s: done")" ] || fail "$s did not finish its work"
    [ -n "$(line "steward: info: $s: stopped (exited with status 0)")" ] || fail "$s not stopped cleanly"
  done
  # steward's own lines give the order: the services' output reaches the
  # log through the forwarder and may land after steward's next line.
  [ "$(line 'steward: info: web: stopped')" -lt "$(line 'steward: info: app: stopped')" ] ||
    fail "app stopped before web"
  [ "$(line 'steward: info: app: stopped')" -lt "$(line 'steward: info: db: stopped')" ] ||
    fail "db stopped before app"
  ! grep -q SIGKILL "$log" || fail "something was SIGKILLed"
  echo "  order: web, app, db; each finished its work; nothing SIGKILLed"
}

. "$here/docker_cases.sh"
"case_$case_"
echo "docker $case_: OK"
