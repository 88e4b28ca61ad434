#!/usr/bin/env bash
# examples/kubernetes/pod.yaml run by `podman kube play` (issue 12):
#
#   1. the ConfigMap, mounted as steward's configuration volume, brings the
#      services: installed over /etc/services.d, started in order;
#   2. the liveness probe (podman turns it into the container's
#      healthcheck) and the readiness probe's command, `steward ctl health`:
#      healthy, unhealthy when app fails its [healthcheck], healthy again;
#   3. the stop: SIGTERM with the Pod's terminationGracePeriodSeconds as
#      the deadline (podman 4.3's kube play keeps its own 10 s stop
#      timeout, so the test passes the manifest's value to `podman pod
#      stop -t`, as the kubelet does): app drains for 12 s, longer than a
#      default 10 s would allow; web, app, db stop in reverse order; exit 0.
#
#   kube_test.sh STEWARD        exit 77 (skipped) where podman cannot run it
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
. "$here/../packaging/lib.sh"
. "$here/kube_lib.sh"
steward=$(readlink -f "${1:?usage: kube_test.sh STEWARD}")
skip_if_slow_disabled "podman kube play"
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-kube.XXXXXX")
kube_setup "$work"

id=$$
pod=steward-example-$id
ctr=$pod-app
image=localhost/steward-k8s-test-$id:latest
manifest=$work/pod.yaml
cleanup() {
  podman kube down "$manifest" >/dev/null 2>&1 || true
  podman pod rm -f "$pod" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "image and manifest"
"$src/examples/kubernetes/build-image.sh" "$steward" --tag "$image"
sed -e "s/steward-example/$pod/g" -e "s/steward-services/steward-services-$id/g" \
    -e "s|localhost/steward-k8s-example:latest|$image|" "$src/examples/kubernetes/pod.yaml" >"$manifest"
grace=$(sed -n 's/^ *terminationGracePeriodSeconds: *\([0-9]*\).*/\1/p' "$manifest")
echo "  terminationGracePeriodSeconds: $grace"

step "podman kube play"
if ! out=$(podman kube play "${runtime[@]}" "$manifest" 2>&1); then
  echo "$out"
  skip "podman kube play cannot run the Pod here"
fi
up() { podman logs "$ctr" 2>&1 | grep "steward: info: web: ready" >/dev/null; }
for _ in $(seq 300); do up && break; sleep 0.2; done
logs=$(podman logs "$ctr" 2>&1)
sed 's/^/  | /' <<<"$logs"
up || fail "web never became ready"
for f in app db web; do
  grep -q "config volume: installed /etc/services.d/$f.toml" <<<"$logs" || fail "$f.toml not installed from the ConfigMap"
done
grep -q "app: serving hello from the ConfigMap" <<<"$logs" || fail "app did not get the Pod's environment"

step "probes: steward ctl health"
ctl_health() { podman exec "$ctr" /usr/sbin/steward ctl health 2>&1; }
wait_health() {  # wait_health 0|1
  local i rc
  for i in $(seq 150); do
    rc=0; ctl_health >/dev/null || rc=$?
    [ "$rc" = "$1" ] && return 0
    sleep 0.2
  done
  return 1
}
wait_health 0 || fail "never healthy: $(ctl_health)"
echo "  readiness command: $(ctl_health)"
podman inspect "$ctr" --format '{{json .Config.Healthcheck.Test}}' | sed 's/^/  liveness as healthcheck: /'
podman healthcheck run "$ctr" >/dev/null 2>&1 || fail "the liveness probe (podman healthcheck run) failed on a healthy Pod"
echo "  liveness: healthy"
podman exec "$ctr" /bin/touch /tmp/app-sick
wait_health 1 || fail "never unhealthy"
echo "  after app failed its check: $(ctl_health || true)"
grep -q "app: unhealthy" <<<"$(ctl_health || true)" || fail "ctl health does not name app"
rc=0; podman healthcheck run "$ctr" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "the liveness probe passed ($rc) with app unhealthy"
echo "  liveness: unhealthy (exit 1)"
podman exec "$ctr" /bin/rm /tmp/app-sick
wait_health 0 || fail "never healthy again"
echo "  healthy again"

step "stop with the Pod's grace period ($grace s)"
t0=$(date +%s%N)
podman pod stop -t "$grace" "$pod" >/dev/null
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
logs=$(podman logs "$ctr" 2>&1)
code=$(podman inspect "$ctr" --format '{{.State.ExitCode}}')
sed 's/^/  | /' <<<"$logs" | tail -n 14
echo "  stop: $ms ms, exit code $code"
[ "$code" = 0 ] || fail "exit code $code after the stop, expected 0 (137: SIGKILLed)"
line() { grep -n -- "$1" <<<"$logs" | head -1 | cut -d: -f1; }
for s in web app db; do
  [ -n "$(line "steward: info: $s: stopped")" ] || fail "$s was not stopped"
done
[ -n "$(line 'app: clean exit')" ] || fail "app did not finish draining"
# The order from steward's own lines: the services' output reaches the log
# through the forwarder, so it may land after steward's next line.
[ -n "$(line 'steward: info: app: stopped (exited with status 0)')" ] || fail "app did not exit 0 after draining"
[ "$(line 'steward: info: web: stopped')" -lt "$(line 'steward: info: app: stopped')" ] || fail "app stopped before web"
[ "$(line 'steward: info: app: stopped')" -lt "$(line 'steward: info: db: stopped')" ] || fail "db stopped before app"
[ "$ms" -ge 10000 ] || fail "the stop took ${ms} ms: app's 12 s drain cannot have run"
[ "$ms" -lt $((grace * 1000)) ] || fail "the stop took until the grace period's SIGKILL"
! grep -q SIGKILL <<<"$logs" || fail "something was SIGKILLed"
echo "kube test: OK"
