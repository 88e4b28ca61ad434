#!/usr/bin/env bash
# README's Dockerfile, as written, on the base images users start from
# (issue 24): one whose /etc/services is a file (netbase's network services
# database, as on Debian with postgres or on Alpine) and a bare FROM
# scratch one. The Dockerfile's lines are taken from README.md itself,
# after a FROM of the base; the build must succeed and steward must read
# /etc/services.d and say why.
#
# usage: readme_dockerfile_test.sh STEWARD_BINARY
# exit 77 (skipped) when no container can run on this machine.
set -euo pipefail
steward=$1
here=$(cd "$(dirname "$0")" && pwd -P)
readme=$here/../../README.md
command -v podman >/dev/null || { echo "SKIP: podman is not installed"; exit 77; }
file -L "$steward" | grep -q "statically linked" ||
  { echo "SKIP: $steward is not statically linked (sanitizer build)"; exit 77; }
[ -x /bin/busybox ] || { echo "SKIP: no /bin/busybox (busybox-static)"; exit 77; }
runtime=()
command -v runc >/dev/null && runtime=(--runtime runc)

work=$(mktemp -d)
tag="steward-readme-$$"
cleanup() {
  for b in netbase scratch; do
    podman rm -f "$tag-$b" >/dev/null 2>&1 || true
    podman rmi -f "localhost/$tag-$b" "localhost/$tag-base-$b" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The README's Dockerfile block, verbatim.
dockerfile=$(awk '/^```dockerfile$/ {on=1; next} on && /^```$/ {exit} on' "$readme")
grep -q '^COPY services/' <<<"$dockerfile" || { echo "FAIL: no Dockerfile in README.md"; exit 1; }

# The bases: busybox, a /tmp, the application README's CMD names; netbase's
# has /etc/services as the file netbase installs.
mkdir -p "$work/base/bin" "$work/base/tmp" "$work/base/usr/local/bin"
chmod 1777 "$work/base/tmp"
cp /bin/busybox "$work/base/bin/busybox"
for a in sh sleep echo touch; do ln -s busybox "$work/base/bin/$a"; done
printf '#!/bin/sh\necho "my-app: running"\n' >"$work/base/usr/local/bin/my-app"
chmod 755 "$work/base/usr/local/bin/my-app"
printf 'FROM scratch\nENV PATH=/usr/local/bin:/usr/sbin:/bin\nCOPY bin/ /bin/\nCOPY tmp/ /tmp/\nCOPY usr/ /usr/\n' \
  >"$work/base/Containerfile"
podman build -q -t "localhost/$tag-base-scratch" -f "$work/base/Containerfile" "$work/base" >/dev/null
mkdir -p "$work/base/etc"
printf '# Network services, Internet style (netbase)\ntcpmux\t\t1/tcp\nhttp\t\t80/tcp\t\twww\npostgresql\t5432/tcp\tpostgres\n' \
  >"$work/base/etc/services"
printf 'COPY etc/services /etc/services\n' >>"$work/base/Containerfile"
podman build -q -t "localhost/$tag-base-netbase" -f "$work/base/Containerfile" "$work/base" >/dev/null

# The user's context: steward and one service.
mkdir -p "$work/app/services"
cp "$steward" "$work/app/steward"
# Ready by a file it makes after its first line: the main program (CMD)
# starts once web is ready, so web's line is written before my-app's exit
# starts the stop.
printf 'command = "echo web: up; touch /tmp/web.up; while :; do sleep 1; done"\n[ready]\nfile = "/tmp/web.up"\n' \
  >"$work/app/services/web.toml"
chmod -R go-w "$work/app/services"

fail=0
for b in netbase scratch; do
  printf 'FROM localhost/%s-base-%s\n%s\n' "$tag" "$b" "$dockerfile" >"$work/app/Dockerfile"
  if ! podman build -q -t "localhost/$tag-$b" -f "$work/app/Dockerfile" "$work/app" >"$work/build.out" 2>&1; then
    echo "FAIL: README's Dockerfile does not build on the $b base: $(cat "$work/build.out")"
    fail=1
    continue
  fi
  if ! podman run "${runtime[@]}" --name "$tag-$b" --ulimit nofile=20000:20000 \
       --ulimit nproc=4096:4096 "localhost/$tag-$b" >"$work/run.out" 2>&1; then
    grep -q "my-app" "$work/run.out" ||
      { echo "SKIP: podman cannot run a container here: $(cat "$work/run.out")"; exit 77; }
  fi
  logs=$(podman logs "$tag-$b" 2>&1)
  code=$(podman inspect "$tag-$b" --format '{{.State.ExitCode}}')
  echo "== $b =="
  echo "$logs"
  case $b in
    netbase) why="/etc/services is a file: the network services database (netbase, Alpine)" ;;
    scratch) why="/etc/services does not exist" ;;
  esac
  grep -qF "steward: info: services from /etc/services.d ($why)" <<<"$logs" ||
    { echo "FAIL: $b: steward did not say it read /etc/services.d because $why"; fail=1; }
  grep -q "web: up" <<<"$logs" || { echo "FAIL: $b: the service did not start"; fail=1; }
  grep -q "my-app: running" <<<"$logs" || { echo "FAIL: $b: CMD did not run"; fail=1; }
  [ "$code" = 0 ] || { echo "FAIL: $b: exit code $code, want 0 (my-app's)"; fail=1; }
done
exit $fail
