#!/usr/bin/env bash
# End to end in a real container engine (SPEC §4): a FROM scratch image with
# the static steward, busybox and a three-service chain. `podman stop` does
# exactly what `docker stop` does to PID 1: SIGTERM, then SIGKILL after the
# timeout. The stop must be ordered (web, then app, then db), graceful
# (each service finished its work: exit 0, nothing SIGKILLed) and fast.
#
# usage: podman_stop.sh STEWARD_BINARY
# exit 77 (skipped) when no container can run on this machine.
set -euo pipefail
steward=$1
command -v podman >/dev/null || { echo "SKIP: podman is not installed"; exit 77; }
# A FROM scratch image holds nothing but the binary: only a static one runs.
file -L "$steward" | grep -q "statically linked" ||
  { echo "SKIP: $steward is not statically linked (sanitizer build)"; exit 77; }
# crun refuses hybrid cgroup v1/v2 hosts; runc runs there.
runtime=()
command -v runc >/dev/null && runtime=(--runtime runc)

work=$(mktemp -d)
tag="steward-e2e-$$"
name="steward-e2e-$$"
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin" "$work/etc/services" "$work/tmp" "$work/run"
chmod 1777 "$work/tmp"
cp "$steward" "$work/steward"
cp /bin/busybox "$work/bin/busybox"
ln -s busybox "$work/bin/sh"
for a in sleep echo touch test; do ln -s busybox "$work/bin/$a"; done
# Each service finishes its "work" for 300 ms after SIGTERM, then exits 0.
svc() {  # name, depends_on list
  cat > "$work/etc/services/$1.toml" <<TOML
depends_on = [$2]
stop_grace_period = "5s"
command = """
trap 'echo "$1: finishing"; echo "$1: finishing" >>/tmp/order; sleep 0.3; echo "$1: done" >>/tmp/order; echo "$1: done"; exit 0' TERM
echo "$1: up"
touch /tmp/$1.ready
while :; do sleep 1 & wait \$\$!; done
"""
[ready]
file = "/tmp/$1.ready"
TOML
}
svc db ''
svc app '"db"'
svc web '"app"'
cat > "$work/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY bin/ /bin/
COPY etc/ /etc/
COPY tmp/ /tmp/
COPY run/ /run/
COPY steward /usr/sbin/steward
ENTRYPOINT ["/usr/sbin/steward"]
DOCKERFILE

podman build -q -t "$tag" "$work" >/dev/null
if ! podman run -d "${runtime[@]}" --name "$name" --ulimit nofile=20000:20000 \
     --ulimit nproc=4096:4096 "$tag" >"$work/run.out" 2>&1; then
  echo "SKIP: podman cannot run a container here: $(cat "$work/run.out")"
  exit 77
fi

# Logs are captured before grep: with pipefail, `podman logs | grep -q`
# fails whenever grep exits before podman has written everything.
up=false
for _ in $(seq 600); do  # up to 60 s: podman is slow on a loaded machine
  logs=$(podman logs "$name" 2>&1 || true)
  grep -q "web: up" <<<"$logs" && { up=true; break; }
  [ "$(podman inspect "$name" --format '{{.State.Running}}')" = true ] || break
  sleep 0.1
done
$up || { echo "FAIL: web never came up"; echo "$logs"; exit 1; }

start=$(date +%s%N)
podman stop -t 10 "$name" >/dev/null
end=$(date +%s%N)
code=$(podman inspect "$name" --format '{{.State.ExitCode}}')
logs=$(podman logs "$name" 2>&1)
echo "$logs"
ms=$(( (end - start) / 1000000 ))
echo "podman stop took ${ms} ms, exit code ${code}"

fail=0
line() { grep -n -- "$1" <<<"$logs" | head -1 | cut -d: -f1; }
[ "$code" = 0 ] || { echo "FAIL: exit code $code, want 0 (137 would mean podman had to SIGKILL)"; fail=1; }
for s in web app db; do
  [ -n "$(line "$s: done")" ] || { echo "FAIL: $s did not finish its work"; fail=1; }
  [ -n "$(line "steward: info: $s: stopped (exited with status 0)")" ] || { echo "FAIL: $s not stopped cleanly"; fail=1; }
done
# The order of events: the services' own appends to one file in the
# container. The log interleaves different services' pipes as the
# forwarder reads them, which proves nothing across services.
order=$(podman cp "$name:/tmp/order" - | tar -xO)
echo "order in the container:" $order
line() { grep -n -- "$1" <<<"$order" | head -1 | cut -d: -f1; }
if [ $fail = 0 ]; then
  [ "$(line 'web: done')" -lt "$(line 'app: finishing')" ] || { echo "FAIL: app stopped before web finished"; fail=1; }
  [ "$(line 'app: done')" -lt "$(line 'db: finishing')" ] || { echo "FAIL: db stopped before app finished"; fail=1; }
fi
grep -q SIGKILL <<<"$logs" && { echo "FAIL: something was SIGKILLed"; fail=1; }
# Three services finishing 300 ms of work each, in order: about 1 s. The
# bound only says podman's 10 s SIGKILL was not what ended it.
[ "$ms" -lt 9000 ] || { echo "FAIL: the stop took ${ms} ms"; fail=1; }
exit $fail
