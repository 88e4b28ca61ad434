#!/usr/bin/env bash
# bench/fanin.sh — how the forwarder's cost grows with the number of
# services logging at once. Run on purpose, as root; not part of CI.
#
# For each count in COUNTS, steward runs as PID 1 of its own PID namespace
# with that many oneshot services, each `cat`ing its share of MB megabytes
# of 100-byte lines at the same time into a file sink ({service}.log,
# console off). The main program waits until every output file holds all
# its lines, then reads the CPU time (utime+stime) of PID 1 and of the
# forwarder (steward-log) from /proc and exits, which stops steward.
# Reported: wall time, MB/s, forwarder CPU ms per MB, PID 1 CPU ms, and
# every line checked (count and order) afterwards.
#
# Environment: COUNTS ("1 10 50") MB (100) REPEAT (3)
#              STEWARD, STEWARD_REF, STEWARD_BUILD_DIR (see bench/wrapper.sh)
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

COUNTS=${COUNTS:-1 10 50}
MB=${MB:-100}
REPEAT=${REPEAT:-3}

bench_init
build_steward

echo "== steward log fan-in benchmark: $MB MB split over COUNTS=($COUNTS) services"
machine_info
echo

# part FILE FIRST N: N 100-byte lines numbered from FIRST (10 digits, space, 88 x)
part() {
  awk -v first="$2" -v n="$3" 'BEGIN {x = sprintf("%88s", ""); gsub(/ /, "x", x)
    for (i = first; i < first + n; i++) printf "%010d %s\n", i, x}' >"$1"
}

# run COUNT REP: one measurement, key=value lines in $T/res-COUNT-REP.txt
run() {
  local count=$1 rep=$2 d=$T/run-$1-$2
  local lines_total=$((MB * 10000)) per
  per=$((lines_total / count))
  rm -rf "$d"
  mkdir -p "$d/services" "$d/out" "$d/data"
  for i in $(seq "$count"); do
    part "$d/data/p$i" $(((i - 1) * per)) "$per"
    printf 'type = "oneshot"\ncommand = ["cat", "%s"]\n' "$d/data/p$i" >"$d/services/s$i.toml"
  done
  cat >"$d/steward.toml" <<EOF
[log]
console = "off"
syslog_socket = ""
[[log.sink]]
name = "files"
type = "file"
path = "$d/out/{service}.log"
rotate_size = "4GiB"
EOF
  # The observer: main program, started once every service is ready, which
  # for a oneshot means done writing; the forwarder may still be behind.
  cat >"$d/observe.sh" <<EOF
#!/bin/sh
# its stdout would go through the log pipeline (console off): write a file
exec >"$d/observed.txt"
want=$((per * count))
while :; do
  have=0
  for f in $d/out/*.log; do
    [ -s "\$f" ] || continue
    len=\$(head -c 4096 "\$f" | head -n 1 | wc -c)
    have=\$((have + \$(stat -c %s "\$f") / len))
  done
  [ "\$have" -ge "\$want" ] && break
  sleep 0.01
done
end=\$(date +%s%N)
fw=\$(for p in /proc/[0-9]*; do [ "\$(cat \$p/comm 2>/dev/null)" = steward-log ] && echo \${p#/proc/}; done | head -n 1)
tick=\$(getconf CLK_TCK)
cpu() { awk -v t="\$tick" '{print (\$14 + \$15) / t}' /proc/\$1/stat; }
echo "end_ns=\$end"
echo "pid1_cpu_s=\$(cpu 1)"
echo "fw_cpu_s=\$(cpu \$fw)"
echo "fw_hwm_kb=\$(awk '/VmHWM/ {print \$2}' /proc/\$fw/status)"
EOF
  chmod +x "$d/observe.sh"
  local t0 t1
  t0=$(date +%s%N)
  "${NS[@]}" "$STEWARD" --services "$d/services" --config "$d/steward.toml" \
    --runtime-dir "$d/run" -- "$d/observe.sh" >/dev/null 2>"$d/stderr" ||
    { echo "run $count/$rep failed:" >&2; tail -5 "$d/stderr" >&2; exit 1; }
  t1=$(date +%s%N)
  cp "$d/observed.txt" "$T/res-$count-$rep.txt"
  # every line, in order per service
  local ok=yes
  for i in $(seq "$count"); do
    awk -v first=$(((i - 1) * per)) -v n="$per" '
      {if ($(NF-1) + 0 != first + NR - 1) bad = 1} END {exit (bad || NR != n)}' "$d/out/s$i.log" || ok=no
  done
  echo "checked=$ok" >>"$T/res-$count-$rep.txt"
  echo "wall_s=$(awk -v a="$t0" -v b="$(kv end_ns "$T/res-$count-$rep.txt")" 'BEGIN {print (b - a) / 1e9}')" \
    >>"$T/res-$count-$rep.txt"
  echo "total_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')" >>"$T/res-$count-$rep.txt"
  rm -rf "$d/out" "$d/data"
}

for rep in $(seq "$REPEAT"); do
  for c in $COUNTS; do
    echo "== $c services, run $rep/$REPEAT" >&2
    run "$c" "$rep"
  done
done

med() { # COUNT KEY
  local r
  for r in $(seq "$REPEAT"); do kv "$2" "$T/res-$1-$r.txt"; done | median
}

echo
echo "================================================================ summary"
machine_info | sed -n '1,3p'
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
echo "$MB MB of 100-byte lines split over N services writing at once; file sink; medians of $REPEAT"
echo
echo "| services | wall s | MB/s | forwarder CPU s | forwarder CPU ms/MB | PID 1 CPU ms | forwarder peak RSS KiB | every line |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
for c in $COUNTS; do
  w=$(med "$c" wall_s)
  f=$(med "$c" fw_cpu_s)
  ok=$(for r in $(seq "$REPEAT"); do kv checked "$T/res-$c-$r.txt"; done | sort -u | tr '\n' ' ')
  printf "| %s | %.2f | %.0f | %.2f | %.1f | %.0f | %s | %s |\n" "$c" "$w" \
    "$(awk -v w="$w" -v m="$MB" 'BEGIN {print m / w}')" "$f" \
    "$(awk -v f="$f" -v m="$MB" 'BEGIN {print f * 1000 / m}')" \
    "$(awk -v p="$(med "$c" pid1_cpu_s)" 'BEGIN {print p * 1000}')" "$(med "$c" fw_hwm_kb)" "$ok"
done
echo "(wall: from steward's start until every line is in the files, seen by the main"
echo " program; forwarder and PID 1 CPU: utime+stime at that moment)"
