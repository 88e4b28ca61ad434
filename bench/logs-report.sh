# bench/logs.sh's report: sourced at its end; prints the markdown tables on
# stdout from RES (and T/rsyslogd.tsv); exits 1 when an output was incomplete.
# shellcheck shell=bash

# med VARIANT COLUMN (3 wall 4 cpu 5 pid1cpu 6 pid1run 7 hwm 8 anon 9 file)
med() {
  awk -F'\t' -v v="$1" -v c="$2" '$1 == v && $c != "-" && $c != "" {print $c}' "$RES" | sort -g |
    awk '{a[NR] = $1} END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2];
      else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
checks() {  # all checks of VARIANT, "ok" when every run passed
  awk -F'\t' -v v="$1" '$1 == v {n++; if ($10 != "ok") {bad = bad " #" $2 ":" $10}}
    END {print (bad == "" ? "ok (" n "/" n ")" : "FAILED" bad)}' "$RES"
}
calc() { awk "BEGIN { x = $1; if (x != x) print \"-\"; else printf \"$2\", x }" 2>/dev/null || echo -; }
num() { [ "$1" != "-" ] && [ -n "$1" ]; }

ver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }
echo "# bench/logs.sh results"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); whole run ${ELAPSED} s"
echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM;" \
  "kernel $(uname -r); Debian $(cat /etc/debian_version); load $LOAD at start"
echo "- /tmp: $(df -T /tmp | awk 'NR == 2 {print $2 " on " $1}')"
echo "- steward: $STEWARD_DESC; $(stat -c %s "$STEWARD") bytes"
echo "- peers: s6 $(ver s6), runit $(ver runit), supervisor $(ver supervisor), rsyslog $(ver rsyslog), coreutils $(ver coreutils)"
echo "- input: $MB MB, $LINES lines of 100 bytes; medians of $REPEAT runs"
echo
if part relp; then relp_report; fi
part files || part small || part rsyslog || exit 0
echo "## $MB MB through one logger"
echo
echo "| variant | wall s | MB/s | logger CPU s | CPU ms/MB | PID 1 CPU ms (run) | peak RSS KiB | every line |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
VARIANTS=(steward-file steward-raw s6-log-T svlogd-tt supervisord 'cat>file' 'cat|cat>file')
[ -n "${STEWARD_BASE:-}" ] && VARIANTS=(steward-file steward-base-file "${VARIANTS[@]:1}")
for v in "${VARIANTS[@]}"; do
  w=$(med "$v" 3) c=$(med "$v" 4) p=$(med "$v" 6) h=$(med "$v" 7)
  pm="-"; num "$p" && pm=$(calc "$p*1000" "%.1f")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${v//|/\\|}" "$(calc "$w" "%.3f")" \
    "$(calc "$MB/$w" "%.0f")" "$(calc "$c" "%.2f")" "$(calc "$c*1000/$MB" "%.2f")" "$pm" "$h" "$(checks "$v")"
done
echo
echo "logger: steward's forwarder (steward-log), the logger process of the peers, the reading"
echo "cat for cat|cat; for cat>file, cat itself. PID 1's on-CPU time is from /proc/1/schedstat."
echo "Forwarder memory at its peak run (median): RssAnon $(med steward-file 8) KiB + RssFile" \
  "$(med steward-file 9) KiB (file sink); RssAnon $(med steward-raw 8) KiB + RssFile $(med steward-raw 9) KiB (console raw)."
echo
echo "## rsyslog over TCP (octet-counted, loopback), $SYSLOG_LINES lines"
echo
rsl_cpu() {  # median rsyslogd CPU for KIND
  awk -F'\t' -v k="$1" '$1 == k {print $3}' "$T/rsyslogd.tsv" 2>/dev/null | sort -g |
    awk '{a[NR] = $1} END {print (NR ? a[int((NR + 1) / 2)] : "-")}'
}
echo "| sender | wall s | lines/s | MB/s (input) | sender CPU s | PID 1 CPU ms (run) | rsyslogd CPU s | sender peak RSS KiB | every line |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for v in steward-rsyslog rsyslog-direct; do
  w=$(med "$v" 3) p=$(med "$v" 6) pm="-"
  num "$p" && pm=$(calc "$p*1000" "%.1f")
  k=steward; [ "$v" = rsyslog-direct ] && k=direct
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$v" "$(calc "$w" "%.3f")" "$(calc "$SYSLOG_LINES/$w" "%.0f")" \
    "$(calc "$SYSLOG_LINES/10000/$w" "%.0f")" "$(calc "$(med "$v" 4)" "%.2f")" "$pm" "$(rsl_cpu "$k")" \
    "$(med "$v" 7)" "$(checks "$v")"
done
echo
echo "steward-rsyslog: steward's syslog sink (spool on disk, overflow = \"block\"); sender = the forwarder."
echo "rsyslog-direct: the same number of messages, framed beforehand, written by cat to the socket:"
echo "what this rsyslog can take; steward reaches $(calc "$(med rsyslog-direct 3)/$(med steward-rsyslog 3)*100" "%.0f") % of it."
echo
echo "## PID 1's CPU time against log volume (file sink)"
echo
echo "| input | PID 1 utime+stime s | PID 1 on-CPU ms (schedstat) | forwarder CPU s |"
echo "|---|---:|---:|---:|"
printf '| %s MB | %s | %s | %s |\n' "$SMALL_MB" "$(med steward-small 5)" "$(calc "$(med steward-small 6)*1000" "%.1f")" "$(med steward-small 4)"
printf '| %s MB | %s | %s | %s |\n' "$MB" "$(med steward-file 5)" "$(calc "$(med steward-file 6)*1000" "%.1f")" "$(med steward-file 4)"
echo "(every line of the small runs: $(checks steward-small))"
echo
echo "## Targets"
echo
verdict() { awk -v x="$1" -v t="$2" 'BEGIN { if (x == "-" || x == "") print "n/a"; else print (x + 0 >= t + 0 ? "MET" : "MISSED") }'; }
r1=$(calc "$(med s6-log-T 3)/$(med steward-file 3)" "%.2f")
r2=$(calc "$(med 'cat>file' 3)/$(med steward-file 3)" "%.2f")
r3=$(calc "$(med 'cat|cat>file' 3)/$(med steward-file 3)" "%.2f")
h=$(med steward-file 7)
p_small=$(med steward-small 6) p_big=$(med steward-file 6)
echo "| target | measured | verdict |"
echo "|---|---:|---|"
echo "| file sink >= 2x s6-log T throughput | ${r1}x | $(verdict "$r1" 2) |"
echo "| file sink >= 50 % of cat > file | $(calc "$r2*100" "%.0f") % | $(verdict "$r2" 0.5) |"
echo "| file sink >= 50 % of cat \| cat > file | $(calc "$r3*100" "%.0f") % | $(verdict "$r3" 0.5) |"
echo "| forwarder peak RSS <= 4 MiB (file sink; no buffer configured) | $h KiB | $(awk -v h="$h" 'BEGIN {print (h == "-" ? "n/a" : h + 0 <= 4096 ? "MET" : "MISSED")}') |"
hs=$(med steward-rsyslog 7)
echo "| forwarder peak RSS <= 4 MiB + buffers (syslog sink; its 64 MiB spool is a file) | $hs KiB | $(awk -v h="$hs" 'BEGIN {print (h == "-" ? "n/a" : h + 0 <= 4096 ? "MET" : h + 0 <= 4096 + 65536 ? "MET only with the spool counted" : "MISSED")}') |"
echo "| PID 1 CPU does not grow with volume ($SMALL_MB -> $MB MB; met when at most 2x + 5 ms) | $(calc "$p_small*1000" "%.1f") -> $(calc "$p_big*1000" "%.1f") ms | $(awk -v a="$p_small" -v b="$p_big" 'BEGIN {print (a == "-" || b == "-" ? "n/a" : b <= a * 2 + 0.005 ? "MET" : "MISSED")}') |"
echo
echo "## Every run"
echo
echo "| variant | # | wall s | logger CPU s | PID 1 CPU s | PID 1 run s | peak RSS KiB | RssAnon | RssFile | check |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk -F'\t' '{gsub(/\|/, "\\|", $1); printf "| %s |", $1; for (i = 2; i <= 10; i++) printf " %s |", $i; print ""}' "$RES"
if grep -qv -P '\tok$' "$RES"; then
  echo >&2
  echo "$0: some outputs are incomplete (see 'check' above)" >&2
  exit 1
fi
