#!/usr/bin/env bash
# docs/MIGRATING.md's "From supervisord" Dockerfile, built as the document
# writes it (after FROM scratch and busybox, which the document leaves to
# the image) with podman:
#
#   tests/packaging/migrating_test.sh STEWARD
#
# The supervisord.conf reads %(ENV_PORT)s, set only by `run -e PORT=...`:
# the build's `steward --check --allow-unset` passes with a warning naming
# the place; the container started with PORT runs the program with it and
# `podman stop` ends it with exit 0; started without PORT it exits 2 naming
# the variable. Skips (77) as podman_test.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
. "$here/lib.sh"

steward=$(readlink -f "${1:?usage: migrating_test.sh STEWARD}")
skip_if_slow_disabled "building and running a container image"
case "$(file -b "$steward")" in
  *statically\ linked*|*static-pie\ linked*) ;;
  *) skip "$steward is not a static binary (sanitizer build?); the image needs it" ;;
esac
ensure_packages podman uidmap slirp4netns fuse-overlayfs busybox-static ||
  skip "podman and its helpers are not installed and cannot be installed"

limits=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
tag="localhost/steward-migrating-$$"
name="steward-migrating-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-migrating.XXXXXX")
podman_cmd=(podman)
cleanup() {
  "${podman_cmd[@]}" rm -f "$name" >/dev/null 2>&1 || true
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "the Dockerfile of docs/MIGRATING.md"
awk '/^In a Dockerfile:/ { found = 1 } found && /^```dockerfile/ { inside = 1; next }
     inside && /^```/ { exit } inside' "$src/docs/MIGRATING.md" >"$work/doc.Dockerfile"
sed 's/^/  | /' "$work/doc.Dockerfile"
grep -q '^RUN \["/usr/sbin/steward", "--check", "--allow-unset"\]$' "$work/doc.Dockerfile" ||
  fail "the document's Dockerfile does not check with --allow-unset"

ctx="$work/ctx"
mkdir -p "$ctx/bin"
cp "$steward" "$ctx/steward"
cp "$(command -v busybox)" "$ctx/bin/busybox"
ln -s busybox "$ctx/bin/sh"
cat >"$ctx/supervisord.conf" <<'CONF'
[supervisord]
nodaemon=true

[program:app]
command=/bin/sh -c "echo app: listening on port %(ENV_PORT)s; exec /bin/busybox sleep 3600"
autorestart=true
CONF
{
  printf 'FROM scratch\nENV PATH=/usr/sbin:/bin\nCOPY bin/ /bin/\n'
  cat "$work/doc.Dockerfile"
} >"$ctx/Dockerfile"

step "podman build (PORT is not set at build time)"
podman build -t "$tag" "$ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "podman build failed"; }
{ grep -E "steward: (warning|error)" "$work/build.log" || true; } | sed "s/^/  | /"
grep -q "steward: warning: /etc/services.d/app.toml:[0-9]*:[0-9]*: variable 'PORT' is not set" \
  "$work/build.log" || { cat "$work/build.log"; fail "the build did not warn about PORT with its place"; }

step "a container runtime that works here"
for rt in "" runc; do
  cmd=(podman)
  if [ -n "$rt" ]; then
    command -v "$rt" >/dev/null || ensure_packages "$rt" >/dev/null 2>&1 || continue
    cmd=(podman --runtime "$rt")
  fi
  if "${cmd[@]}" run --rm "${limits[@]}" --entrypoint /bin/busybox "$tag" true >/dev/null 2>&1; then
    podman_cmd=("${cmd[@]}")
    echo "  ${cmd[*]}"
    break
  fi
  podman_cmd=()
done
[ ${#podman_cmd[@]} -gt 0 ] || skip "podman cannot run a container on this machine (with crun or runc)"
P() { "${podman_cmd[@]}" "$@"; }

step "run -e PORT=8080, then stop"
P run -d --name "$name" -e PORT=8080 "${limits[@]}" "$tag" >/dev/null
# (The logs go to a file first: grep -q ending the pipe early would fail it
# under pipefail.)
started() { P logs "$name" >"$work/run.log" 2>&1; grep -q "app: listening on port 8080" "$work/run.log"; }
for ((i = 0; i < 150; i++)); do
  started && break
  sleep 0.2
done
started || { tail -n 20 "$work/run.log"; fail "the converted program did not start with PORT"; }
P stop -t 10 "$name" >/dev/null
code=$(P inspect "$name" --format '{{.State.ExitCode}}')
P logs "$name" >"$work/run.log" 2>&1 || true
sed 's/^/  | /' "$work/run.log" | tail -n 10
[ "$code" = 0 ] || fail "exit code $code after podman stop, expected 0"

step "run without PORT"
rc=0
P run --rm "${limits[@]}" "$tag" >"$work/unset.log" 2>&1 || rc=$?
sed 's/^/  | /' "$work/unset.log"
[ "$rc" = 2 ] || fail "without PORT the container exited $rc, expected 2"
grep -q "variable 'PORT' is not set" "$work/unset.log" || fail "the error does not name PORT"
echo "migrating test: OK"
