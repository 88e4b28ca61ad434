#!/usr/bin/env bash
# Builds the image examples/kubernetes/pod.yaml runs, FROM scratch: the
# static steward, Debian's static busybox, a page to serve, an empty /tmp.
# Its services are not in the image: they come from the Pod's ConfigMap.
#
#   examples/kubernetes/build-image.sh [STEWARD] [--tag TAG]
#
# STEWARD defaults to build/steward, which is built first when it is
# missing (the Debian packages the build needs installed as examples/demo.sh
# does, then cmake, Release, the `steward` target only: a few minutes);
# TAG defaults to localhost/steward-k8s-example.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
steward=$root/build/steward
given=
tag=localhost/steward-k8s-example:latest
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    *) steward=$1; given=1; shift ;;
  esac
done
if [ ! -x "$steward" ] && [ -z "$given" ]; then
  # The build's Debian packages, as examples/demo.sh installs them.
  . "$root/.ci/deps.sh"
  steward_install_deps
  echo "build-image.sh: building $steward (cmake -S $root -B $root/build -DCMAKE_BUILD_TYPE=Release)" >&2
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build" --target steward -j "$(nproc)" >/dev/null
fi
[ -x "$steward" ] || { echo "build-image.sh: no steward at $steward (build it: cmake -S . -B build && cmake --build build --target steward)" >&2; exit 1; }
ctx=$(mktemp -d "${TMPDIR:-/tmp}/steward-k8s.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/bin" "$ctx/srv" "$ctx/tmp"
chmod 1777 "$ctx/tmp"
cp /bin/busybox "$ctx/bin/busybox"
for a in sh sleep test touch rm echo; do ln -s busybox "$ctx/bin/$a"; done
cp "$steward" "$ctx/steward"
echo "hello from steward in a Pod" >"$ctx/srv/index.html"
cat >"$ctx/Containerfile" <<'CONTAINERFILE'
FROM scratch
ENV PATH=/usr/sbin:/bin
COPY bin/ /bin/
COPY srv/ /srv/
COPY tmp/ /tmp/
COPY steward /usr/sbin/steward
ENTRYPOINT ["/usr/sbin/steward"]
CONTAINERFILE
podman build -q -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
echo "$tag"
