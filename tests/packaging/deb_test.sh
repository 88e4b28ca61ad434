#!/usr/bin/env bash
# The .deb (packaging/deb/build-deb.sh) from a given binary:
#
#   tests/packaging/deb_test.sh STEWARD
#
#   - built twice, the same bytes (reproducible package);
#   - control fields, file list, md5sums, gzip -n (no name, no time);
#   - extracted with dpkg -x into a scratch root: the extracted
#     /usr/sbin/steward prints the same --version as STEWARD, runs a program
#     in wrapper mode (exit status passed through, 127 for a missing one);
#     /usr/sbin/stewardctl is a symlink to steward and runs as the ctl client
#     (it returns, it does not start anything);
#   - the man page renders with `man -l` without warnings, stewardctl(8) too;
#   - lintian, when installed and STEWARD is static (the release build): no
#     error or warning beyond the overrides the package carries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
. "$here/lib.sh"

steward=$(readlink -f "${1:?usage: deb_test.sh STEWARD}")
ensure_packages dpkg-dev man-db groff-base >/dev/null || true
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-debtest.XXXXXX")
trap 'rm -rf "$work"' EXIT

step "build the .deb twice"
deb1=$("$src/packaging/deb/build-deb.sh" --binary "$steward" --out "$work/one")
deb2=$("$src/packaging/deb/build-deb.sh" --binary "$steward" --out "$work/two")
h1=$(sha256sum <"$deb1" | cut -d' ' -f1)
h2=$(sha256sum <"$deb2" | cut -d' ' -f1)
echo "  $(basename "$deb1"): $(stat -c %s "$deb1") bytes, sha256 $h1"
if [ "$h1" != "$h2" ]; then
  command -v diffoscope >/dev/null && diffoscope --text - "$deb1" "$deb2" | head -n 60
  cmp -l "$deb1" "$deb2" | head -n 10 || true
  fail "two builds of the .deb from the same binary differ"
fi

step "control and contents"
dpkg-deb -I "$deb1" | sed -n 's/^ \(Package\|Version\|Architecture\|Installed-Size\|Built-Using\):/  &/p'
arch=$(dpkg-deb -f "$deb1" Architecture)
[ "$arch" = "$(dpkg --print-architecture)" ] || fail "Architecture: $arch"
[ "$(dpkg-deb -f "$deb1" Package)" = steward ] || fail "Package is not steward"
[ -z "$(dpkg-deb -f "$deb1" Depends)" ] || fail "a static binary needs no Depends"
dpkg-deb -c "$deb1" >"$work/contents"
for p in ./usr/sbin/steward ./usr/sbin/stewardctl ./usr/share/man/man8/steward.8.gz \
         ./usr/share/man/man8/stewardctl.8.gz ./usr/share/doc/steward/copyright \
         ./usr/share/doc/steward/changelog.Debian.gz ./usr/share/doc/steward/examples/docker/Dockerfile.scratch; do
  grep -q " $p\( \|$\)" "$work/contents" || fail "$p is not in the package"
done
awk '$2 != "root/root" { print; bad = 1 } END { exit bad }' "$work/contents" ||
  fail "files not owned by root/root"
echo "  $(wc -l <"$work/contents") entries, all root/root"
dpkg-deb -e "$deb1" "$work/control"

step "dpkg -x into a scratch root"
root="$work/root"
dpkg -x "$deb1" "$root"
(cd "$root" && md5sum --quiet -c "$work/control/md5sums") || fail "md5sums do not match"
for gz in "$root"/usr/share/man/man8/steward.8.gz "$root"/usr/share/doc/steward/changelog.Debian.gz; do
  gzip -t "$gz"
  # bytes 4-7: the mtime; flag 0x08 (byte 3): a stored name. gzip -n: neither.
  [ "$(od -An -tu1 -j3 -N5 "$gz" | tr -s ' ')" = " 0 0 0 0 0" ] || fail "$gz has a name or time (not gzip -n)"
done
[ "$(readlink "$root/usr/sbin/stewardctl")" = steward ] || fail "stewardctl is not a symlink to steward"
[ "$(readlink "$root/usr/share/man/man8/stewardctl.8.gz")" = steward.8.gz ] ||
  fail "stewardctl.8.gz is not a symlink to steward.8.gz"
v=$("$root/usr/sbin/steward" --version)
[ "$v" = "$("$steward" --version)" ] || fail "extracted steward says '$v'"
echo "  $v"
run() { "$root/usr/sbin/steward" -q --services "$work/none" --config "" --runtime-dir "$work/rt" "$@"; }
out=$(run -- /bin/sh -c 'echo wrapped; exit 5' 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] && grep -q wrapped <<<"$out" || fail "wrapper mode: exit $rc, output '$out'"
echo "  steward -- sh -c 'exit 5': 5"
rc=0; run -- /nonexistent/program >/dev/null 2>&1 || rc=$?
[ "$rc" = 127 ] || fail "a missing program gave $rc, expected 127"
echo "  steward -- /nonexistent/program: 127"
rc=0; STEWARD_RUNTIME_DIR="$work/rt" timeout 20 "$root/usr/sbin/stewardctl" status >"$work/ctl.out" 2>&1 || rc=$?
sed 's/^/  stewardctl status: /' "$work/ctl.out" | head -n 3
[ "$rc" != 124 ] || fail "stewardctl status did not return"
[ "$rc" != 0 ] || fail "stewardctl status succeeded with no steward running"

step "man -l"
export MANWIDTH=80 LC_ALL=C.UTF-8
man --warnings -l "$root/usr/share/man/man8/steward.8.gz" >"$work/man.txt" 2>"$work/man.err"
[ ! -s "$work/man.err" ] || { cat "$work/man.err"; fail "man reports warnings"; }
head -n 1 "$work/man.txt" | grep -q "^STEWARD(8)" || fail "the man page does not render"
for s in SYNOPSIS OPTIONS "SERVICE FILES" "GLOBAL CONFIGURATION" "EXIT STATUS" SIGNALS ENVIRONMENT FILES; do
  grep -q "^$s" "$work/man.txt" || fail "no $s section in the rendered page"
done
man -l "$root/usr/share/man/man8/stewardctl.8.gz" 2>/dev/null | head -n 1 | grep -q "^STEWARD(8)" ||
  fail "stewardctl(8) does not render"
echo "  $(wc -l <"$work/man.txt") lines"

step "lintian"
if ! command -v lintian >/dev/null; then
  echo "  lintian is not installed: not run (apt-get install lintian)"
elif ! file -b "$steward" | grep -q "statically linked"; then
  echo "  $steward is not the static release build: lintian not run"
else
  # -I: show the informational tags too; only errors and warnings fail.
  rc=0; lintian --fail-on error,warning -I "$deb1" >"$work/lintian.out" 2>&1 || rc=$?
  grep -v "running with root privileges" "$work/lintian.out" | sed 's/^/  /'
  [ "$rc" = 0 ] || fail "lintian reports errors or warnings (exit $rc)"
  echo "  no errors or warnings (overridden: statically-linked-binary, initial-upload-closes-no-bugs)"
fi
echo "deb test: OK"
