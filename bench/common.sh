# Shared by bench/wrapper.sh and bench/supervisor.sh. Sourced, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables used by the scripts that source this

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
BG_PIDS=()

bench_init() {
  if [ "$(id -u)" != 0 ]; then
    echo "$0: run as root (PID namespaces, the kernel's process-events connector, apt-get)" >&2
    exit 1
  fi
  T=$(mktemp -d /tmp/steward-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# End only what this script started, by pid; the inits were started with
# `unshare --kill-child`, so they die with their unshare.
bench_cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${BG_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$T"
}

# need COMMAND DEBIAN-PACKAGE: install the package when the command is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (for $1)" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "$0: $2 did not provide $1" >&2; exit 1; }
}

# need_file PATH DEBIAN-PACKAGE
need_file() {
  [ -e "$1" ] && return 0
  echo "installing $2 (for $1)" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
  fi
  [ -e "$1" ] || { echo "$0: $2 did not provide $1" >&2; exit 1; }
}

# Sets STEWARD (the binary) and STEWARD_BUILD (its CMake build directory, or
# empty when STEWARD was given from outside).
build_steward() {
  if [ -n "${STEWARD:-}" ]; then
    [ -x "$STEWARD" ] || { echo "$0: STEWARD=$STEWARD is not executable" >&2; exit 1; }
    STEWARD_BUILD=""
    STEWARD_DESC="given as STEWARD=$STEWARD"
    return
  fi
  need cmake cmake
  need g++ g++
  need_file /usr/include/ev.h libev-dev
  need_file /usr/include/fmt/format.h libfmt-dev
  need_file /usr/include/toml++/toml.h libtomlplusplus-dev
  local src=$REPO_DIR extra=()
  STEWARD_DESC="working tree of $(git -C "$REPO_DIR" rev-parse --short=12 HEAD 2>/dev/null || echo '?')"
  if [ -n "$(git -C "$REPO_DIR" status --porcelain -- src include CMakeLists.txt 2>/dev/null)" ]; then
    STEWARD_DESC="$STEWARD_DESC + uncommitted changes"
  fi
  if [ -n "${STEWARD_REF:-}" ]; then
    # A committed state, exported once to a directory of its own (the
    # working tree is not touched) and built there; reused by later runs.
    local commit
    commit=$(git -C "$REPO_DIR" rev-parse --short=12 "$STEWARD_REF")
    local top=${STEWARD_BUILD_DIR:-/tmp/steward-bench-$commit}
    src=$top/src
    if [ ! -f "$src/CMakeLists.txt" ]; then
      mkdir -p "$src"
      git -C "$REPO_DIR" archive "$commit" | tar -x -C "$src"
    fi
    extra=(-DSTEWARD_COMMIT="$commit")
    STEWARD_DESC="commit $commit ($STEWARD_REF)"
    STEWARD_BUILD=$top/build
  else
    STEWARD_BUILD=${STEWARD_BUILD_DIR:-/tmp/steward-bench-build}
  fi
  echo "building steward (Release, static) from the $STEWARD_DESC in $STEWARD_BUILD" >&2
  cmake -S "$src" -B "$STEWARD_BUILD" -DCMAKE_BUILD_TYPE=Release -DSTEWARD_TESTS=OFF "${extra[@]}" >/dev/null
  cmake --build "$STEWARD_BUILD" -j"$(nproc)" >/dev/null
  STEWARD=$STEWARD_BUILD/steward
}

build_benchtool() {
  need cc gcc
  cc -O2 -Wall -Wextra -o "$T/benchtool" "$BENCH_DIR/benchtool.c" "$BENCH_DIR/benchtool_loop.c" \
    "$BENCH_DIR/benchtool_sup.c"
  BENCHTOOL=$T/benchtool
}

# Each init runs in its own PID namespace; --kill-child takes it down if
# unshare itself is killed (e.g. Ctrl-C on the script).
NS=(unshare --pid --fork --mount-proc --kill-child)

# median of the numbers on stdin (one per line)
median() {
  sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
    if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}

# key FILE: the value of key=value in FILE
kv() { sed -n "s/^$1=//p" "$2"; }

machine_info() {
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel:  $(uname -r); Debian $(cat /etc/debian_version)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
  echo "steward: $STEWARD_DESC; $(stat -c %s "$STEWARD") bytes; $("$STEWARD" --version 2>&1 | head -1)"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b+0 == 0) print "-"; else printf "%.2f", a/b}'; }
