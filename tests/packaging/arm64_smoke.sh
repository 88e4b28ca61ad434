#!/usr/bin/env bash
# Smoke test of an arm64 steward on an amd64 host, under qemu-user
# (qemu-aarch64-static), without binfmt_misc:
#
#   tests/packaging/arm64_smoke.sh STEWARD_ARM64 [CACHE_DIR]
#
# What is checked, and how:
#   1. --version names the aarch64 architecture; --help prints the same text
#      as the amd64 build of the same tree when one is given in
#      STEWARD_AMD64 (same source, other compiler);
#   2. --check parses a small services directory (toml++ on arm64) and
#      prints the start order; a broken one exits 2 with PATH:LINE:COL;
#   3. wrapper mode, steward as PID 1 of a fresh PID namespace: the program
#      is Debian's arm64 busybox (busybox-static:arm64, fetched with apt-get
#      download into CACHE_DIR), itself run through qemu-aarch64-static
#      because qemu-user does not follow execve() and this machine has no
#      binfmt_misc; checked: exit status passed through, SIGTERM forwarded
#      (the program's trap decides the exit status), an orphan left behind
#      is ended and steward still exits with the program's status.
# Exits 77 (skip) when qemu-aarch64-static is missing and cannot be
# installed; 1 on any failure.
set -euo pipefail

bin=${1:?usage: arm64_smoke.sh STEWARD_ARM64 [CACHE_DIR]}
cache=${2:-${TMPDIR:-/tmp}/steward-packaging-cache}
bin=$(readlink -f "$bin")
here=$(cd "$(dirname "$0")" && pwd -P)
. "$here/lib.sh"

command -v qemu-aarch64-static >/dev/null || "$here/../../packaging/setup-arm64.sh" ||
  skip "qemu-aarch64-static is not installed and cannot be installed"
qemu=$(command -v qemu-aarch64-static)

work=$(mktemp -d "${TMPDIR:-/tmp}/steward-arm64-smoke.XXXXXX")
upid=""
# --kill-child: killing unshare kills the whole PID namespace.
trap '[ -z "$upid" ] || kill -KILL "$upid" 2>/dev/null; rm -rf "$work"' EXIT

step "1. --version, --help"
v=$("$qemu" "$bin" --version)
echo "  $v"
[[ "$v" =~ ^tini\ version\ [0-9]+\.[0-9]+\.[0-9]+_steward\ -\ git\.[^\ ]+\ -\ steward\ [0-9]+\.[0-9]+\.[0-9]+\ \(aarch64\)$ ]] ||
  fail "--version does not name aarch64: '$v'"
"$qemu" "$bin" --help >"$work/help.arm64" || fail "--help exited $?"
grep -q -- '--services' "$work/help.arm64" || fail "--help does not mention --services"
if [ -n "${STEWARD_AMD64:-}" ]; then
  "$STEWARD_AMD64" --help >"$work/help.amd64"
  diff -u "$work/help.amd64" "$work/help.arm64" || fail "--help differs between amd64 and arm64"
  echo "  --help is the same as amd64's"
fi

step "2. --check"
mkdir -p "$work/services" "$work/bad"
cat >"$work/services/db.toml" <<'EOF'
command = ["/bin/true"]
stop_grace_period = "3s"
EOF
cat >"$work/services/web.toml" <<'EOF'
command = "exec /bin/true"
depends_on = ["db"]
[ready]
file = "/tmp/web.ready"
timeout = "10s"
EOF
cat >"$work/bad/web.toml" <<'EOF'
command = ["/bin/true"]
depend_on = ["db"]
EOF
chmod -R go-w "$work/services" "$work/bad"
"$qemu" "$bin" --check --services "$work/services" --config "" >"$work/check.out" 2>&1 ||
  { cat "$work/check.out"; fail "--check of a valid directory failed"; }
sed 's/^/  /' "$work/check.out"
grep -q db "$work/check.out" && grep -q web "$work/check.out" || fail "--check does not list db and web"
rc=0; "$qemu" "$bin" --check --services "$work/bad" --config "" >"$work/bad.out" 2>&1 || rc=$?
sed 's/^/  /' "$work/bad.out"
[ "$rc" -eq 2 ] || fail "--check of a broken directory exited $rc, expected 2"
grep -q "web.toml:2:" "$work/bad.out" || fail "the error does not point at web.toml:2"

step "3. wrapper mode as PID 1 (qemu), program: arm64 busybox"
bb=$(arm64_busybox "$cache") || fail "cannot get busybox-static:arm64"
file -b "$bb" | grep -q "ARM aarch64" || fail "$bb is not an arm64 binary"
# steward-arm64 under qemu as PID 1; its program under its own qemu.
run_pid1() { unshare --pid --fork --kill-child --mount-proc "$qemu" "$bin" --services "$work/none" --config "" "$@"; }

rc=0; run_pid1 -- "$qemu" "$bb" sh -c 'echo arm64 busybox says hello; exit 7' >"$work/out" 2>&1 || rc=$?
sed 's/^/  /' "$work/out"
[ "$rc" -eq 7 ] || fail "exit status $rc, expected 7"
grep -q "arm64 busybox says hello" "$work/out" || fail "program output missing"

# An orphan left behind when the program exits is ended (SIGTERM), and
# steward exits with the program's status at once, not after 300 s.
t0=$(date +%s)
rc=0; run_pid1 --grace 5s -- "$qemu" "$bb" sh -c \
  "\"$qemu\" \"$bb\" sleep 300 & echo orphan \$!; exit 5" >"$work/out" 2>&1 || rc=$?
t1=$(date +%s)
sed 's/^/  /' "$work/out"
[ "$rc" -eq 5 ] || fail "exit status with an orphan $rc, expected 5"
[ $((t1 - t0)) -lt 60 ] || fail "steward took $((t1 - t0)) s to end the orphan"
echo "  orphan ended, steward exited 5 after $((t1 - t0)) s"

# SIGTERM to steward is forwarded; the program's trap turns it into 42.
rm -f "$work/ready"
# (unshare itself in the background, not a function, so that $! is its pid)
unshare --pid --fork --kill-child --mount-proc "$qemu" "$bin" --services "$work/none" --config "" \
  -- "$qemu" "$bb" sh -c \
  "trap 'echo got TERM; exit 42' TERM; \"$qemu\" \"$bb\" sleep 300 & touch $work/ready; wait" \
  >"$work/out" 2>&1 &
upid=$!
for _ in $(seq 1 300); do [ -e "$work/ready" ] && break; sleep 0.1; done
[ -e "$work/ready" ] || fail "program did not start"
spid=$(pgrep -P "$upid" | head -1)
[ -n "$spid" ] || fail "cannot find steward under unshare ($upid)"
kill -TERM "$spid"
rc=0; wait_timeout 60 "$upid" || rc=$?
upid=""
sed 's/^/  /' "$work/out"
[ "$rc" -eq 42 ] || fail "exit status after SIGTERM $rc, expected 42 (the trap's)"
grep -q "got TERM" "$work/out" || fail "SIGTERM was not forwarded"
echo "arm64 smoke test: OK"
