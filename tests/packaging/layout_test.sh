#!/usr/bin/env bash
# tests/packaging/layout_test.sh STEWARD: the release binary keeps the code
# it runs together (packaging/hot-text.list, laid out by the build), so
# that an idle steward has less than half of its binary resident. Before the layout, fault-around
# made about 70 % of it resident (docs/BENCHMARKS.md); with it, about a
# third. Skips for a build without the layout (sanitizer, dynamic).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BIN=${1:?usage: layout_test.sh STEWARD [LINK.map HOT-TEXT.list COMPILER]}
MAP=${2:-}
LIST=${3:-}
COMPILER=${4:-}

sections=$(readelf -SW "$BIN")
grep -q ' \.text\.steward\.hot ' <<<"$sections" || skip "no .text.steward.hot: not a release build"
hex_size() { awk -v s="$1" '$0 ~ " "s" " {for (i = 1; i <= NF; i++) if ($i == s) print $(i + 4)}' <<<"$sections"; }
text=$((16#$(hex_size .text.steward.hot)))
ro=$((16#$(hex_size .rodata.steward.hot)))
step "hot code $text bytes, hot constants $ro bytes"
[ "$text" -gt 65536 ] || fail ".text.steward.hot holds $text bytes: packaging/hot-text.list matched almost nothing (regenerate it: packaging/hot-text.py)"
[ "$ro" -gt 4096 ] || fail ".rodata.steward.hot holds $ro bytes: packaging/hot-text.list matched almost nothing"

# The list still names the code: compilers rename what LTO clones, and a
# name that matches nothing costs nothing but does nothing either. The
# build runs the same check after the link (cmake/hot_text.cmake); this
# test keeps it visible in ctest's summary.
if [ -n "$MAP" ] && [ -n "$LIST" ]; then
  [ -f "$MAP" ] || fail "no link map at $MAP (the release link writes it: -Wl,-Map)"
  check=$(cd "$(dirname "$0")/../.." && pwd)/cmake/hot_text.cmake
  out=$(cmake -DMODE=check -DLIST="$LIST" -DMAP="$MAP" -DARCH="$(uname -m)" -DCOMPILER="$COMPILER" \
    -P "$check" 2>&1) ||
    fail "$out"
  step "$(sed 's/^-- //' <<<"$out")"
fi

# steward -- sleep in a PID namespace, as in a container; RSS of the
# binary's own mappings once it is idle.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
unshare --pid --fork --mount-proc sh -c '
  "$1" -- sleep 30 & pid=$!
  sleep 1
  awk -v bin="$(readlink -f "$1")" '"'"'
    /^[0-9a-f]+-[0-9a-f]+ / {mine = ($6 == bin)}
    mine && /^Rss:/ {rss += $2}
    END {print rss}'"'"' /proc/$pid/smaps
  kill -TERM $pid; wait $pid' sh "$BIN" >"$out" 2>&1 || true
rss=$(tail -1 "$out")
size=$(( $(stat -c %s "$BIN") / 1024 ))
step "resident: $rss KiB of the $size KiB binary"
[[ "$rss" =~ ^[0-9]+$ ]] || fail "could not read steward's smaps: $(cat "$out")"
[ "$rss" -lt $((size / 2)) ] || fail "$rss KiB of the $size KiB binary resident while idle: the hot code is no longer together (regenerate packaging/hot-text.list with packaging/hot-text.py)"
echo "PASS"
