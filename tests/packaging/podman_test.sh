#!/usr/bin/env bash
# The Dockerfile examples of packaging/docker/, built and run with podman as
# their comments say (no registry: FROM scratch, or a debootstrapped base):
#
#   tests/packaging/podman_test.sh STEWARD
#
#   Dockerfile.scratch   built; runs examples/webapp (4 services); the page
#                        is served inside the container; `podman stop`
#                        ends it gracefully: exit code 0, well before
#                        podman's SIGKILL.
#   Dockerfile.layered   built twice with two versions of the application
#                        (podman build --timestamp): the application layer
#                        differs, the steward layer has the same digest;
#                        CMD runs in wrapper mode: `podman stop` reaches the
#                        app (its SIGTERM trap decides the exit code, 0),
#                        `podman run IMAGE sh -c 'exit 3'` exits 3.
#   Dockerfile.debian,   only with STEWARD_TEST_DEBOOTSTRAP=1 (debootstrap
#   Dockerfile.services  takes a minute or two and ~80 MB): the base image
#                        from make-base.sh; steward as ENTRYPOINT with the
#                        app as CMD; the .deb installed with dpkg -i and the
#                        services run and stopped.
#
# STEWARD is the release binary the images get. Skips (77) with
# STEWARD_SKIP_SLOW=1, or when podman cannot run a container here (after
# trying the default runtime, then runc: crun refuses hybrid cgroup v1/v2 hosts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
. "$here/lib.sh"

steward=$(readlink -f "${1:?usage: podman_test.sh STEWARD}")
skip_if_slow_disabled "building and running container images"
case "$(file -b "$steward")" in
  *statically\ linked*|*static-pie\ linked*) ;;
  *) skip "$steward is not a static binary (sanitizer build?); the images need the release build" ;;
esac
ensure_packages podman uidmap slirp4netns fuse-overlayfs busybox-static ||
  skip "podman and its helpers are not installed and cannot be installed"

limits=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
tag="steward-pkgtest-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-podman.XXXXXX")
containers=()
images=()
cleanup() {
  local c i
  for c in "${containers[@]}"; do podman rm -f "$c" >/dev/null 2>&1 || true; done
  for i in "${images[@]}"; do podman rmi -f "$i" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

step "context"
deb_arg=(--no-deb)  # only Dockerfile.services needs the .deb
[ "${STEWARD_TEST_DEBOOTSTRAP:-0}" != 1 ] || deb_arg=()
"$src/packaging/docker/make-context.sh" "$work/ctx" --binary "$steward" "${deb_arg[@]}" >/dev/null
ls "$work/ctx"
ctx="$work/ctx"

step "a container runtime that works here"
# The smallest image: busybox alone, FROM scratch, no RUN.
mkdir -p "$work/probe"
cp "$ctx/bin/busybox" "$work/probe/"
printf 'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "true"]\n' >"$work/probe/Dockerfile"
podman build -q -t "localhost/$tag-probe" "$work/probe" >/dev/null
images+=("localhost/$tag-probe")
podman_cmd=()
for rt in "" runc; do
  if [ -n "$rt" ]; then
    command -v "$rt" >/dev/null || ensure_packages "$rt" >/dev/null 2>&1 || continue
    cmd=(podman --runtime "$rt")
  else
    cmd=(podman)
  fi
  if out=$("${cmd[@]}" run --rm "${limits[@]}" "localhost/$tag-probe" 2>&1); then
    podman_cmd=("${cmd[@]}")
    echo "${cmd[*]}"
    break
  fi
  echo "${cmd[*]} cannot run a container: $out"
done
[ ${#podman_cmd[@]} -gt 0 ] || skip "podman cannot run a container on this machine (with crun or runc)"
P() { "${podman_cmd[@]}" "$@"; }

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
  local t=$1 i; shift
  for ((i = 0; i < t * 5; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
# stop_and_check NAME: podman stop (SIGTERM, SIGKILL after 10 s, as docker
# stop), then the exit code must be 0 and the stop well inside the 10 s.
stop_and_check() {
  local name=$1 t0 t1 code
  t0=$(date +%s%N)
  P stop -t 10 "$name" >/dev/null
  t1=$(date +%s%N)
  code=$(P inspect "$name" --format '{{.State.ExitCode}}')
  P logs "$name" >"$work/$name.log" 2>&1 || true
  sed 's/^/  | /' "$work/$name.log" | tail -n 25
  echo "  podman stop: $(((t1 - t0) / 1000000)) ms, exit code $code"
  [ "$code" = 0 ] || fail "$name: exit code $code after podman stop, expected 0 (137: SIGKILLed)"
  [ $(((t1 - t0) / 1000000)) -lt 9000 ] || fail "$name: the stop took until podman's SIGKILL"
}

step "Dockerfile.scratch"
P build -q -t "localhost/$tag-scratch" -f "$ctx/Dockerfile.scratch" "$ctx" >/dev/null
images+=("localhost/$tag-scratch")
echo "  image: $(P image inspect "localhost/$tag-scratch" --format '{{.Size}}') bytes"
P run -d --name "$tag-scratch" "${limits[@]}" "localhost/$tag-scratch" >/dev/null
containers+=("$tag-scratch")
web() { P exec "$tag-scratch" /bin/busybox wget -q -O - "http://127.0.0.1:${WEB_PORT:-18080}/"; }
wait_for 60 web || { P logs "$tag-scratch" 2>&1 | tail -n 30; fail "the webapp never served its page"; }
web | head -n 3 | sed 's/^/  /'
stop_and_check "$tag-scratch"
grep -q "migration done" "$work/$tag-scratch.log" || fail "the migrate oneshot's output is not in podman logs"

step "Dockerfile.layered: the steward layer does not depend on the application"
layers() { P image inspect "$1" --format '{{range .RootFS.Layers}}{{println .}}{{end}}' | sed '/^$/d'; }
P build -q --timestamp 1767225600 -t "localhost/$tag-layered" -f "$ctx/Dockerfile.layered" "$ctx" >/dev/null
images+=("localhost/$tag-layered")
cp -R "$ctx" "$work/ctx2"
echo 'echo "app: version 2"' >>"$work/ctx2/app/app.sh"
P build -q --timestamp 1767225600 -t "localhost/$tag-layered2" -f "$work/ctx2/Dockerfile.layered" "$work/ctx2" >/dev/null
images+=("localhost/$tag-layered2")
l1=$(layers "localhost/$tag-layered")
l2=$(layers "localhost/$tag-layered2")
paste <(echo "$l1") <(echo "$l2") | sed 's/^/  /'
[ "$(tail -n 1 <<<"$l1")" = "$(tail -n 1 <<<"$l2")" ] ||
  fail "the steward layer changed when only the application did"
[ "$(wc -l <<<"$l1")" = "$(wc -l <<<"$l2")" ] && [ "$l1" != "$l2" ] ||
  fail "the application layer did not change, or the layer count did"
echo "  steward layer identical, application layer different"

P run -d --name "$tag-layered" "${limits[@]}" "localhost/$tag-layered" >/dev/null
containers+=("$tag-layered")
wait_for 30 sh -c "${podman_cmd[*]} logs $tag-layered 2>&1 | grep -q 'app: tick 1'" ||
  { P logs "$tag-layered" 2>&1 | tail; fail "the app did not start"; }
stop_and_check "$tag-layered"
grep -q "SIGTERM received" "$work/$tag-layered.log" || fail "SIGTERM was not forwarded to the app"
rc=0; P run --rm "${limits[@]}" "localhost/$tag-layered" /bin/sh -c 'exit 3' >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "podman run IMAGE sh -c 'exit 3' exited $rc, expected 3"
echo "  podman run IMAGE sh -c 'exit 3': 3"

if [ "${STEWARD_TEST_DEBOOTSTRAP:-0}" != 1 ]; then
  echo "Dockerfile.debian and Dockerfile.services not run: set STEWARD_TEST_DEBOOTSTRAP=1" \
       "(debootstrap of a bookworm base image, a minute or two, ~80 MB)"
  echo "podman test: OK"
  exit 0
fi

step "base image (make-base.sh)"
"$src/packaging/docker/make-base.sh"

step "Dockerfile.debian"
P build -q --pull=never -t "localhost/$tag-debian" -f "$ctx/Dockerfile.debian" "$ctx" >/dev/null
images+=("localhost/$tag-debian")
P run -d --name "$tag-debian" "${limits[@]}" "localhost/$tag-debian" >/dev/null
containers+=("$tag-debian")
wait_for 30 sh -c "${podman_cmd[*]} logs $tag-debian 2>&1 | grep -q 'app: tick 1'" ||
  { P logs "$tag-debian" 2>&1 | tail; fail "the app did not start"; }
stop_and_check "$tag-debian"
grep -q "SIGTERM received" "$work/$tag-debian.log" || fail "SIGTERM was not forwarded to the app"
rc=0; P run --rm "${limits[@]}" "localhost/$tag-debian" sh -c 'exit 3' >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "podman run IMAGE sh -c 'exit 3' exited $rc, expected 3"

step "Dockerfile.services (the .deb installed with dpkg -i)"
P build -q --pull=never -t "localhost/$tag-services" -f "$ctx/Dockerfile.services" "$ctx" >/dev/null
images+=("localhost/$tag-services")
P run -d --name "$tag-services" "${limits[@]}" "localhost/$tag-services" >/dev/null
containers+=("$tag-services")
svcweb() { P exec "$tag-services" /bin/busybox wget -q -O - "http://127.0.0.1:18080/"; }
wait_for 60 svcweb || { P logs "$tag-services" 2>&1 | tail -n 30; fail "the webapp never served its page"; }
P exec "$tag-services" sh -c 'readlink /usr/sbin/stewardctl && dpkg -s steward | grep ^Version' |
  sed 's/^/  /'
stop_and_check "$tag-services"
echo "podman test: OK"
