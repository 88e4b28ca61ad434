#!/usr/bin/env bash
# A changed ConfigMap applied live, the kubelet way (issue 12, with the
# watched configuration volume of issue 9). The kubelet writes a ConfigMap
# volume as a timestamped directory, points the `..data` symlink at it,
# and makes every key a symlink through `..data`; an update writes a new
# directory and renames a new `..data` over the old one in one step:
#
#   /config/..2026_12_01_10_00_00.1/etc/services/app.toml
#   /config/..data -> ..2026_12_01_10_00_00.1
#   /config/etc    -> ..data/etc
#
# This test lays the volume out that way on the host, bind-mounts it
# read-only into a container (podman, as the kubelet would), swaps
# `..data`, and expects steward to install the new app.toml and restart
# app with it, leaving db alone (same pid).
#
#   kube_update_test.sh STEWARD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
. "$here/../packaging/lib.sh"
. "$here/kube_lib.sh"
steward=$(readlink -f "${1:?usage: kube_update_test.sh STEWARD}")
skip_if_slow_disabled "podman with a ConfigMap-shaped volume"
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-kubeupd.XXXXXX")
kube_setup "$work"
id=$$
ctr=steward-kubeupd-$id
image=localhost/steward-kubeupd-$id:latest
cleanup() {
  podman rm -f "$ctr" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$src/examples/kubernetes/build-image.sh" "$steward" --tag "$image" >/dev/null

vol=$work/config
# version DIR GREETING: one timestamped directory of the ConfigMap's data.
version() {
  mkdir -p "$vol/$1/etc/services"
  cat >"$vol/$1/etc/services/db.toml" <<'TOML'
command = ["/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:15432", "-h", "/srv"]
[ready]
tcp = "127.0.0.1:15432"
TOML
  cat >"$vol/$1/etc/services/app.toml" <<TOML
depends_on = ["db"]
command = "echo 'app: serving $2'; while :; do sleep 1 & wait \$\$!; done"
TOML
  chmod -R go-w "$vol/$1"
}
mkdir -p "$vol"
version ..2026_12_01_10_00_00.1 "version one"
ln -s ..2026_12_01_10_00_00.1 "$vol/..data"
ln -s ..data/etc "$vol/etc"

podman run -d "${runtime[@]}" --name "$ctr" -v "$vol:/config:ro" \
  -e STEWARD_CONFIG_VOLUME=/config "$image" >/dev/null
has() { podman logs "$ctr" 2>&1 | grep -- "$1" >/dev/null; }
for _ in $(seq 300); do has "app: serving version one" && break; sleep 0.2; done
has "app: serving version one" || { podman logs "$ctr"; fail "app never started from the volume"; }
db_pid=$(podman exec "$ctr" /usr/sbin/steward ctl status --json db | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')

step "the kubelet's update: a new directory, then ..data renamed over in one step"
version ..2026_12_01_10_05_00.2 "version two"
ln -s ..2026_12_01_10_05_00.2 "$vol/..data_tmp"
mv -T "$vol/..data_tmp" "$vol/..data"
rm -rf "$vol/..2026_12_01_10_00_00.1"
for _ in $(seq 300); do has "app: serving version two" && break; sleep 0.2; done
podman logs "$ctr" 2>&1 | sed 's/^/  | /' | tail -n 15
has "app: serving version two" || fail "the changed ConfigMap was not applied"
[ "$(podman exec "$ctr" /usr/sbin/steward ctl status --json db | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')" = "$db_pid" ] ||
  fail "db was restarted although its file did not change"
echo "kube update test: OK"
