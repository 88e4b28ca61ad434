# Shared helpers of the packaging tests (sourced, not run).
# Exit codes: 0 pass, 1 fail, 77 skip (CTest SKIP_RETURN_CODE).

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# STEWARD_SKIP_SLOW=1 (the sanitizer pass of tests/run.sh) skips the tests
# that rebuild steward or start containers: they exercise the release
# binary only.
skip_if_slow_disabled() {
  if [ "${STEWARD_SKIP_SLOW:-0}" = 1 ]; then
    skip "STEWARD_SKIP_SLOW=1: $* (release pass only)"
  fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Installs the Debian packages given that are missing (root only); returns
# non-zero when they cannot be installed. No apt-get update when nothing is
# missing, so a second run costs nothing.
ensure_packages() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (not root, cannot install)" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# wait_timeout SECONDS PID: waits for a background child; returns its exit
# status, or kills it and returns 124 when it outlives SECONDS.
wait_timeout() {
  local t=$1 pid=$2 i
  for ((i = 0; i < t * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid"
}

# Prints the path of Debian's static arm64 busybox, fetched once into the
# cache directory given (apt-get download busybox-static:arm64 + dpkg -x).
arm64_busybox() {
  local cache=$1 deb
  if [ ! -x "$cache/busybox-arm64" ]; then
    mkdir -p "$cache/bb-arm64"
    (
      cd "$cache/bb-arm64"
      rm -f ./*.deb
      apt-get download busybox-static:arm64 >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get download busybox-static:arm64 >/dev/null 2>&1; }
    ) || return 1
    deb=$(ls "$cache"/bb-arm64/*.deb | head -1)
    [ -n "$deb" ] || return 1
    rm -rf "$cache/bb-arm64/root"
    dpkg -x "$deb" "$cache/bb-arm64/root"
    cp "$cache/bb-arm64/root/bin/busybox" "$cache/busybox-arm64"
  fi
  echo "$cache/busybox-arm64"
}

# Copies a source tree for an out-of-tree build test: everything, .git
# included (so the commit and its dirty flag are the same), except build
# directories at the top (build*/) and extra paths given relative to SRC.
copy_tree() {
  local src=$1 dst=$2; shift 2
  local ex=(--exclude=./build* --exclude=./.cache) p
  for p in "$@"; do ex+=("--exclude=./$p"); done
  mkdir -p "$dst"
  (cd "$src" && tar -cf - "${ex[@]}" .) | (cd "$dst" && tar -xf -)
}
