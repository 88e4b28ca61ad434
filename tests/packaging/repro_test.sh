#!/usr/bin/env bash
# Reproducibility of the release build (SPEC §8): two runs of
# packaging/build.sh from two copies of the source tree, in different
# directories, at different times, with different file mtimes, umask, time
# zone, locale, TMPDIR and CXXFLAGS in the caller's environment, must give
# the same sha256. On a difference it shows where (diffoscope when
# installed, else cmp -l and a diff of strings) and keeps both binaries.
#
#   tests/packaging/repro_test.sh --arch amd64|arm64 [--source DIR]
#       [--exclude DIR]... [--cache DIR] [--amd64 STEWARD]
#
# The copies are of the working tree, .git included, not a git clone, so
# that uncommitted changes are built too (the commit is then "-dirty" in
# both). --exclude leaves out a build directory that sits inside the source
# tree (build*/ at the top is always left out). For arm64 the result is then
# smoke-tested under qemu (arm64_smoke.sh; --amd64 gives the amd64 binary
# whose --help it must match) and packaged as a .deb. Skips (77) with
# STEWARD_SKIP_SLOW=1, and for arm64 when the cross toolchain cannot be
# installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
. "$here/lib.sh"

arch=amd64
src=$(cd "$here/../.." && pwd -P)
excludes=()
cache=${TMPDIR:-/tmp}/steward-packaging-cache
amd64_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --source) src=$(cd "$2" && pwd -P); shift 2 ;;
    --exclude) excludes+=("$2"); shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --amd64) amd64_bin=$2; shift 2 ;;
    *) fail "unknown argument $1" ;;
  esac
done

skip_if_slow_disabled "two release builds of steward for $arch take minutes"
if [ "$arch" = arm64 ]; then
  "$src/packaging/setup-arm64.sh" ||
    skip "the arm64 cross toolchain (g++-aarch64-linux-gnu, libev-dev:arm64, libmbedtls-dev:arm64) is missing and cannot be installed"
fi

# Build directories inside the source tree are not copied.
rel_excludes=()
for d in "${excludes[@]}"; do
  d=$(readlink -f "$d")
  case "$d" in "$src"/*) rel_excludes+=("${d#"$src"/}") ;; esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/steward-repro.XXXXXX")
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT

step "copying the source tree twice"
copy_tree "$src" "$work/one/steward" "${rel_excludes[@]}"
copy_tree "$src" "$work/two/a/much/longer/path/src-copy" "${rel_excludes[@]}"
# The second copy gets fresh mtimes: file times must not matter.
find "$work/two" -exec touch -h {} +
mkdir -p "$work/tmp2"

step "build 1: $work/one/steward"
t0=$(date +%s)
(cd "$work/one/steward" && umask 022 &&
  TZ=UTC LC_ALL=C packaging/build.sh --arch "$arch" --out "$work/out1")
t1=$(date +%s)
step "build 2: $work/two/a/much/longer/path/src-copy ($((t1 - t0)) s later, other umask, TZ, locale, TMPDIR, CXXFLAGS)"
(cd / && umask 077 &&
  TZ=Pacific/Chatham LC_ALL=C.UTF-8 LANG=de_DE.UTF-8 TMPDIR="$work/tmp2" CXXFLAGS="-O0 -g" \
  "$work/two/a/much/longer/path/src-copy/packaging/build.sh" --arch "$arch" --out "$work/out2")

b1="$work/out1/steward-$arch"
b2="$work/out2/steward-$arch"
h1=$(sha256sum <"$b1" | cut -d' ' -f1)
h2=$(sha256sum <"$b2" | cut -d' ' -f1)
echo "build 1: $h1  $(stat -c %s "$b1") bytes"
echo "build 2: $h2  $(stat -c %s "$b2") bytes"
if [ "$h1" != "$h2" ]; then
  keep=1
  echo "the two builds differ; both kept in $work/out1 and $work/out2" >&2
  if command -v diffoscope >/dev/null; then
    diffoscope --text - "$b1" "$b2" | head -n 80 || true
  else
    echo "cmp -l (offset, byte 1, byte 2, octal):"
    cmp -l "$b1" "$b2" | head -n 20 || true
    echo "differing strings:"
    diff <(strings -n 6 "$b1") <(strings -n 6 "$b2") | head -n 40 || true
  fi
  fail "steward-$arch is not reproducible"
fi

step "no build path, temporary directory, date or host name in the binary"
# Today's date as __DATE__ ("Nov 25 2026") and ISO would give a timestamp away.
pats=(-e "$work" -e "$src" -e 'steward-build.' -e "$(date -u '+%b %e %Y')" -e "$(date -u +%Y-%m-%d)")
host=$(hostname)
[ ${#host} -lt 8 ] || pats+=(-e "$host")  # a short name like "vm" matches anything
leaks=$(strings -n 4 "$b1" | grep -F "${pats[@]}" || true)
[ -z "$leaks" ] || fail "the binary names build paths: $leaks"
echo "none"

if [ "$arch" = arm64 ]; then
  STEWARD_AMD64="$amd64_bin" "$here/arm64_smoke.sh" "$b1" "$cache"
  step "the arm64 .deb"
  deb=$("$src/packaging/deb/build-deb.sh" --arch arm64 --binary "$b1" --out "$work/deb")
  [ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || fail "$deb is not Architecture: arm64"
  dpkg -x "$deb" "$work/deb/root"
  qemu-aarch64-static "$work/deb/root/usr/sbin/steward" --version | grep -q aarch64 ||
    fail "the packaged arm64 steward does not run under qemu"
  echo "$(basename "$deb"): $(stat -c %s "$deb") bytes, Built-Using: $(dpkg-deb -f "$deb" Built-Using)"
fi
echo "steward-$arch is reproducible: $h1"
