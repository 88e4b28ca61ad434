#!/usr/bin/env bash
# The release build of steward: one static, stripped binary per architecture,
# byte-for-byte reproducible.
#
#   packaging/build.sh [--arch amd64|arm64] [--out DIR] [--jobs N]
#
# writes DIR/steward-ARCH (default DIR: build-release/ in the source tree)
# and prints its sha256. Two runs from the same commit give the same bytes,
# whatever directory the source tree or the build is in, whenever they run,
# whatever the caller's locale, time zone or umask:
#
#   - the build is out of tree, in a fresh temporary directory, and the
#     top-level CMakeLists.txt maps both the source and the build directory
#     to "." (-ffile-prefix-map), links with --build-id=none and strips (-s);
#   - SOURCE_DATE_EPOCH is the time of the last commit (GCC uses it for
#     __DATE__/__TIME__, which steward does not use anyway), or a fixed value
#     outside git; the output file gets that mtime too;
#   - the commit comes from git (STEWARD_COMMIT overrides), "-dirty" when
#     tracked files differ from it; the version comes from project() in
#     CMakeLists.txt; nothing reads the clock;
#   - after linking, the .comment section (compiler version strings) is
#     removed with objcopy; the .deb records the toolchain in Built-Using;
#   - CFLAGS, CXXFLAGS, LDFLAGS, CPPFLAGS and friends from the environment
#     are ignored (CMake would otherwise pick them up), LC_ALL=C, TZ=UTC,
#     umask 022.
#
# arm64 cross-builds with Debian's g++-aarch64-linux-gnu and libev-dev:arm64
# (packaging/setup-arm64.sh installs them) through
# packaging/toolchain-aarch64.cmake. See docs/PACKAGING.md.
set -euo pipefail

usage() {
  sed -n 's/^#   //p' "$0" | head -1 >&2
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/.." && pwd -P)

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=amd64 ;;
esac
out="$src/build-release"
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?}; shift 2 ;;
    --arch=*) arch=${1#*=}; shift ;;
    --out) out=${2:?}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --jobs|-j) jobs=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "build.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

# A clean, fixed environment: nothing of the caller's leaks into the build.
export LC_ALL=C TZ=UTC
umask 022
unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS CC CXX MAKEFLAGS CMAKE_GENERATOR \
      CMAKE_BUILD_PARALLEL_LEVEL CMAKE_TOOLCHAIN_FILE CMAKE_EXPORT_COMPILE_COMMANDS \
      GCC_EXEC_PREFIX COMPILER_PATH LIBRARY_PATH CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH

in_git() { git -C "$src" rev-parse --verify -q HEAD >/dev/null 2>&1; }
if [ -e "$src/.git" ] && ! in_git; then
  echo "build.sh: warning: git cannot read $src (no commit yet, or not owned by you:" \
       "git config --global --add safe.directory $src); commit 'unknown', fixed SOURCE_DATE_EPOCH" >&2
fi

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  if in_git; then
    SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct)
  else
    SOURCE_DATE_EPOCH=1767225600  # 2026-01-01T00:00:00Z: outside git, a fixed value
  fi
fi
export SOURCE_DATE_EPOCH

if [ -z "${STEWARD_COMMIT:-}" ]; then
  if in_git; then
    STEWARD_COMMIT=$(git -C "$src" rev-parse --short=12 HEAD)
    # Tracked files only (untracked build directories do not make it dirty),
    # compared by content, not stat data, so that a copy of the tree is as
    # clean as the original. GIT_OPTIONAL_LOCKS=0: never write the index
    # (no index.lock to collide with a concurrent git commit).
    GIT_OPTIONAL_LOCKS=0 git -C "$src" diff --quiet HEAD -- 2>/dev/null ||
      STEWARD_COMMIT="$STEWARD_COMMIT-dirty"
  else
    STEWARD_COMMIT=unknown
  fi
fi

cmake_args=(-DCMAKE_BUILD_TYPE=Release -DSTEWARD_TESTS=OFF -DSTEWARD_WERROR=OFF
            -DSTEWARD_SANITIZE=OFF "-DSTEWARD_COMMIT=$STEWARD_COMMIT")
case "$arch" in
  amd64)
    [ "$(uname -m)" = x86_64 ] || { echo "build.sh: amd64 builds need an x86_64 host" >&2; exit 1; }
    file_arch="x86-64"; objcopy=objcopy ;;
  arm64)
    if [ "$(uname -m)" != aarch64 ]; then
      command -v aarch64-linux-gnu-g++ >/dev/null && [ -f /usr/lib/aarch64-linux-gnu/libev.a ] &&
        [ -f /usr/lib/aarch64-linux-gnu/libmbedtls.a ] || {
        echo "build.sh: the arm64 cross toolchain is missing; run packaging/setup-arm64.sh (root)" >&2
        exit 1
      }
      cmake_args+=("-DCMAKE_TOOLCHAIN_FILE=$here/toolchain-aarch64.cmake")
    fi
    file_arch="ARM aarch64"
    objcopy=objcopy; [ "$(uname -m)" = aarch64 ] || objcopy=aarch64-linux-gnu-objcopy ;;
  *) echo "build.sh: --arch must be amd64 or arm64, not '$arch'" >&2; exit 2 ;;
esac

bdir=$(mktemp -d "${TMPDIR:-/tmp}/steward-build.XXXXXXXX")
trap 'rm -rf "$bdir"' EXIT

echo "build.sh: steward $arch, commit $STEWARD_COMMIT, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" >&2
cmake -S "$src" -B "$bdir" "${cmake_args[@]}" >"$bdir/configure.log" 2>&1 || {
  cat "$bdir/configure.log" >&2; exit 1; }
cmake --build "$bdir" --target steward -j "$jobs" >"$bdir/build.log" 2>&1 || {
  tail -n 60 "$bdir/build.log" >&2; exit 1; }

bin="$bdir/steward"
# The linker keeps each object's .comment ("GCC: (Debian ...)"), which -s
# does not remove; nothing reads it (lintian: binary-has-unneeded-section).
# The compiler versions are recorded in the .deb's Built-Using instead.
"$objcopy" --remove-section=.comment "$bin"
desc=$(file -b "$bin")
case "$desc" in
  *"$file_arch"*statically\ linked*|*"$file_arch"*static-pie\ linked*) ;;
  *) echo "build.sh: $bin is not a static $arch binary: $desc" >&2; exit 1 ;;
esac
case "$desc" in
  *", stripped"*) ;;
  *) echo "build.sh: $bin is not stripped: $desc" >&2; exit 1 ;;
esac

mkdir -p "$out"
install -m 0755 "$bin" "$out/steward-$arch"
touch -h -d "@$SOURCE_DATE_EPOCH" "$out/steward-$arch"
(cd "$out" && sha256sum "steward-$arch")
