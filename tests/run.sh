#!/usr/bin/env bash
# Builds steward and runs every test: first the release build (static,
# warnings as errors), then the whole suite again under AddressSanitizer and
# UndefinedBehaviorSanitizer. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/deps.sh
# rsyslog: the real collector of the log tests; podman and busybox: the
# container end-to-end tests (runc: crun refuses hybrid cgroup hosts);
# uidmap/slirp4netns/fuse-overlayfs: podman's.
# clang and its runtimes (libFuzzer, ASan, UBSan): the fuzz targets;
# docker.io: the Docker engine tests (tests/container/docker_*.sh); python3:
# the HTTP server of the probe tests.
steward_install_deps rsyslog rsyslog-relp rsyslog-gnutls openssl podman runc uidmap slirp4netns \
  fuse-overlayfs dpkg-dev clang libclang-rt-14-dev docker.io python3

# syslog-ng, the second receiver of the log tests, conflicts with rsyslog
# as a Debian package: unpack it (and the libraries it needs) into a tree
# of its own instead of installing it.
syslog_ng_root=${STEWARD_SYSLOG_NG_ROOT:-/var/cache/steward-test/syslog-ng}
if [ ! -x "$syslog_ng_root/usr/sbin/syslog-ng" ]; then
  echo "unpacking syslog-ng into $syslog_ng_root"
  mkdir -p "$syslog_ng_root" && tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt downloads as _apt
  fetch() { (cd "$tmp" && apt-get download -qq syslog-ng-core libivykis0 libnet1 libwrap0 >/dev/null 2>&1); }
  if fetch || { apt-get update -qq >/dev/null 2>&1 && fetch; }; then
    for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$syslog_ng_root"; done
  else
    echo "warning: could not download syslog-ng; its test will be skipped" >&2
  fi
  rm -rf "$tmp"
fi
[ -x "$syslog_ng_root/usr/sbin/syslog-ng" ] && export STEWARD_SYSLOG_NG_ROOT=$syslog_ng_root

# Some tests run steward and `steward ctl` as nobody and as uid 1000 (the
# attacker, a non-root container): they must be able to reach the build.
# A clone under `mktemp -d` (mode 0700) would make each of those exec fail
# with 126; every directory above the tree is made searchable (o+x, not
# readable) and said so.
d=$(pwd -P)
while [ "$d" != "/" ]; do
  if [ "$(stat -c %u "$d")" = 0 ] && [ $(( 0$(stat -c %a "$d") & 1 )) = 0 ]; then
    echo "making $d searchable by other users (o+x): the tests run steward as nobody"
    chmod o+x "$d"
  fi
  d=$(dirname "$d")
done

jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DSTEWARD_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
}

echo "== release build (static) =="
run_suite build -DCMAKE_BUILD_TYPE=Release
file build/steward | grep -q "statically linked" || { echo "steward is not static" >&2; exit 1; }

echo "== AddressSanitizer + UndefinedBehaviorSanitizer =="
# Podman and reproducibility tests exercise the release binary only.
STEWARD_SKIP_SLOW=1 run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSTEWARD_SANITIZE=ON

echo "== fuzz targets (libFuzzer + ASan + UBSan, ${STEWARD_FUZZ_SECONDS:-20} s each) =="
# A build directory of its own: the core is instrumented for coverage.
cmake -S . -B build-fuzz -DSTEWARD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs"
tests/fuzz/run.sh build-fuzz "${STEWARD_FUZZ_SECONDS:-20}"
