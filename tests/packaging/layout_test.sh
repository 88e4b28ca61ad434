#!/usr/bin/env bash
# tests/packaging/layout_test.sh STEWARD: the release binary keeps the code
# it runs together (packaging/hot-text.ld), so that an idle steward has
# less than half of its binary resident. Before the layout, fault-around
# made about 70 % of it resident (docs/BENCHMARKS.md); with it, about a
# third. Skips for a build without the layout (sanitizer, dynamic).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BIN=${1:?usage: layout_test.sh STEWARD [LINK.map HOT-TEXT.ld]}
MAP=${2:-}
LD=${3:-}

sections=$(readelf -SW "$BIN")
grep -q ' \.text\.steward\.hot ' <<<"$sections" || skip "no .text.steward.hot: not a release build"
hex_size() { awk -v s="$1" '$0 ~ " "s" " {for (i = 1; i <= NF; i++) if ($i == s) print $(i + 4)}' <<<"$sections"; }
text=$((16#$(hex_size .text.steward.hot)))
ro=$((16#$(hex_size .rodata.steward.hot)))
step "hot code $text bytes, hot constants $ro bytes"
[ "$text" -gt 65536 ] || fail ".text.steward.hot holds $text bytes: packaging/hot-text.ld matched almost nothing (regenerate it: packaging/hot-text.py)"
[ "$ro" -gt 4096 ] || fail ".rodata.steward.hot holds $ro bytes: packaging/hot-text.ld matched almost nothing"

# The layout's patterns still name the code: compilers rename what LTO
# clones (.isra, .constprop, .lto_priv), and a pattern that matches nothing
# costs nothing but does nothing either. At least 90 % of the code patterns
# must match an input section the link put in .text.steward.hot.
if [ -n "$MAP" ] && [ -n "$LD" ]; then
  [ -f "$MAP" ] || fail "no link map at $MAP (the release link writes it: -Wl,-Map)"
  awk '
    FNR == NR {  # hot-text.ld: the text part, each pattern'"'"'s section name
      if ($0 ~ /\.text\.steward\.hot/) on = 1
      else if ($0 ~ /^  \}/) on = 0
      else if (on && match($0, /\((\.text[^)]*)\)/)) want[substr($0, RSTART + 1, RLENGTH - 2)] = 1
      next
    }
    /^\.text\.steward\.hot/ {in_hot = 1; next}
    /^\.[a-z]/ {in_hot = 0}
    in_hot && /^ \.text/ {have[$1] = 1}
    END {
      for (w in want) {n++; if (w in have) m++}
      printf "%d %d\n", m, n
    }' "$LD" "$MAP" >"$BIN.layout.$$" 2>&1 || fail "could not read $MAP"
  read -r matched total <"$BIN.layout.$$"
  rm -f "$BIN.layout.$$"
  step "layout patterns matched: $matched of $total"
  [ "$total" -gt 0 ] || fail "no code pattern in $LD"
  [ $((matched * 100)) -ge $((total * 90)) ] ||
    fail "only $matched of the $total code patterns of $LD match a section of the link ($MAP): the hot code is named differently now (regenerate it: packaging/hot-text.py --build BUILD)"
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
[ "$rss" -lt $((size / 2)) ] || fail "$rss KiB of the $size KiB binary resident while idle: the hot code is no longer together (regenerate packaging/hot-text.ld with packaging/hot-text.py)"
echo "PASS"
