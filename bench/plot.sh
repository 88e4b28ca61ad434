#!/usr/bin/env bash
# bench/plot.sh RESULTS_DIR [IMG_DIR] — turns one run of bench/all.sh into
# tab-separated tables (RESULTS_DIR/*.tsv) and PNG plots (IMG_DIR, default
# docs/img) with gnuplot. Reads only the summary tables the benchmark
# scripts print, so it can be re-run on an old results directory.
set -euo pipefail
R=${1:?usage: bench/plot.sh RESULTS_DIR [IMG_DIR]}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMG=${2:-$BENCH_DIR/../docs/img}
mkdir -p "$IMG"
command -v gnuplot >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null
}

# table FILE TITLE-REGEX: the markdown table that follows the first line
# matching TITLE-REGEX, as TSV without its header and rule lines; cells
# trimmed, " us", " ms", " KiB" and a trailing "x" dropped from numbers.
table() {
  awk -v re="$2" '
    !found && $0 ~ re {found = 1; next}
    found && /^\|/ {
      n++; if (n <= 2) next
      line = $0; sub(/^\| */, "", line); sub(/ *\|[^|]*$/, "", line)
      k = split(line, c, / *\| */); out = ""
      for (i = 1; i <= k; i++) {
        v = c[i]; gsub(/^ +| +$/, "", v)
        if (v ~ /^[0-9.]+ ?(us|ms|KiB|x|s)$/) sub(/ ?(us|ms|KiB|x|s)$/, "", v)
        out = out (i > 1 ? "\t" : "") v
      }
      print out; next
    }
    found && n > 0 && !/^\|/ {exit}' "$1"
}

common='set terminal pngcairo size 900,480 font "DejaVu Sans,11"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key below horizontal
set datafile separator "\t"
set xtics nomirror
set ytics nomirror
set yrange [0:*]'

plotted=()

# ---- wrapper overhead and idle RSS per init (bench/wrapper.sh)
if [ -f "$R/wrapper.txt" ]; then
  table "$R/wrapper.txt" '^\(a\) wrapper overhead on the host' | cut -f1,4,9 >"$R/overhead-host.tsv"
  table "$R/wrapper.txt" '^\(a\) wrapper overhead in a fresh PID' | cut -f1,4,9 >"$R/overhead-ns.tsv"
  join -t $'\t' <(sort "$R/overhead-host.tsv") <(sort "$R/overhead-ns.tsv") |
    grep -v '^/bin/true' >"$R/overhead.tsv" || true
  table "$R/wrapper.txt" '^\(b\) RSS of the idle init' | cut -f1-4 >"$R/rss-wrapper.tsv"
  gnuplot <<EOF
$common
set output "$IMG/overhead.png"
set title "INIT -- /bin/true: median wall time per run (lower is better)"
set ylabel "microseconds"
plot "$R/overhead.tsv" using 2:xtic(1) title "on the host", \
     "" using 4 title "in a fresh PID namespace"
EOF
  gnuplot <<EOF
$common
set output "$IMG/overhead-cpu.png"
set title "INIT -- /bin/true: median CPU time per run, init + /bin/true (lower is better)"
set ylabel "microseconds"
plot "$R/overhead.tsv" using 3:xtic(1) title "on the host", \
     "" using 5 title "in a fresh PID namespace"
EOF
  gnuplot <<EOF
$common
set output "$IMG/rss.png"
set title "Idle init, PID 1 of its namespace: resident memory (lower is better)"
set ylabel "KiB"
set style histogram rowstacked
set boxwidth 0.6
plot "$R/rss-wrapper.tsv" using 3:xtic(1) title "anonymous", "" using 4 title "file-backed (pages of the binary and its libraries)"
EOF
  plotted+=(overhead.png overhead-cpu.png rss.png)
  table "$R/wrapper.txt" '^\(e\) instructions executed' | cut -f1,2 >"$R/instructions.tsv"
  if [ -s "$R/instructions.tsv" ]; then
    gnuplot <<EOF
$common
set output "$IMG/instructions.png"
set title "INIT -- /bin/true: instructions of the init process (callgrind; lower is better)"
set ylabel "instructions"
set key off
plot "$R/instructions.tsv" using 2:xtic(1) title "instructions"
EOF
    plotted+=(instructions.png)
  fi
fi

# ---- stop and start time against the number of services (bench/supervisor.sh)
sup=$(ls "$R"/supervisor-*.txt 2>/dev/null | sort -t- -k2 -n || true)
if [ -n "$sup" ]; then
  : >"$R/stop.tsv"
  : >"$R/start.tsv"
  for f in $sup; do
    n=$(basename "$f" .txt | sed 's/supervisor-//')
    table "$f" '^Stop \(targets' | awk -F'\t' -v n="$n" '{print n "\t" $1 "\t" $3}' >>"$R/stop.tsv"
    table "$f" '^Start, memory' | awk -F'\t' -v n="$n" '{print n "\t" $1 "\t" $2 "\t" $5 "\t" $7}' >>"$R/start.tsv"
  done
  lines() { # TSV COLUMN: one gnuplot data block per supervisor
    local v
    for v in steward supervisord runit-sv runit-hup s6; do
      awk -F'\t' -v v="$v" -v col="$2" '$2 == v {print $1 "\t" $col}' "$1" | sort -n >"$1.$v"
    done
  }
  lines "$R/stop.tsv" 3
  lines "$R/start.tsv" 3
  gnuplot <<EOF
$common
set style data linespoints
set output "$IMG/stop.png"
set title "Stop: from SIGTERM until the init exited (lower is better; log scale)"
set xlabel "services (levels of dependencies; supervisord: priorities)"
set ylabel "milliseconds"
set logscale y
set yrange [*:*]
plot for [v in "steward supervisord runit-sv runit-hup s6"] "$R/stop.tsv.".v using 1:2 title v lw 2
EOF
  gnuplot <<EOF
$common
set style data linespoints
set output "$IMG/start.png"
set title "Start: from the init's exec until the last service was exec'd (log scale)"
set xlabel "services"
set ylabel "milliseconds"
set logscale y
set yrange [*:*]
plot for [v in "steward supervisord runit-hup s6"] "$R/start.tsv.".v using 1:2 title v lw 2
EOF
  lines "$R/start.tsv" 5
  for v in steward supervisord runit-hup s6; do mv "$R/start.tsv.$v" "$R/pss.tsv.$v"; done
  lines "$R/start.tsv" 3
  gnuplot <<EOF
$common
set style data linespoints
set output "$IMG/pss.png"
set title "Memory of the whole supervision tree (PSS, services excluded; log scale)"
set xlabel "services"
set ylabel "KiB"
set logscale y
set yrange [*:*]
plot for [v in "steward supervisord runit-hup s6"] "$R/pss.tsv.".v using 1:2 title v lw 2
EOF
  plotted+=(stop.png start.png pss.png)
fi

# ---- log throughput per sink and peer (bench/logs.sh)
if [ -f "$R/logs.txt" ]; then
  # this table has no title line of its own: it starts at its header
  awk '/^\| variant \| wall s \| MB\/s/ {f = 1; n = 0} f && /^\|/ {n++; if (n > 2) print; next} f && n {exit}' \
    "$R/logs.txt" | sed 's/\\|/\x01/g' | awk -F' *\\| *' '{print $2 "\t" $4}' | sed 's/\x01/|/g' >"$R/logs.tsv"
  gnuplot <<EOF
$common
set output "$IMG/logs.png"
set title "Log throughput, same input into a file (higher is better)"
set ylabel "MB/s"
set xtics rotate by -25
set key off
plot "$R/logs.tsv" using 2:xtic(1) title "MB/s"
EOF
  plotted+=(logs.png)
fi

# ---- forwarder cost against the number of services logging at once (bench/fanin.sh)
if [ -f "$R/fanin.txt" ]; then
  awk '/^\| services \|/ {f = 1; n = 0} f && /^\|/ {n++; if (n > 2) print; next} f && n {exit}' \
    "$R/fanin.txt" | awk -F' *\\| *' '{print $2 "\t" $4 "\t" $6}' >"$R/fanin.tsv"
  gnuplot <<EOF
$common
set output "$IMG/fanin.png"
set title "Forwarder: CPU per MB and throughput, services logging at once"
set style data linespoints
set xlabel "services writing at the same time"
set ylabel "forwarder CPU ms per MB"
set y2label "MB/s"
set y2tics
set logscale x
plot "$R/fanin.tsv" using 1:3 title "CPU ms/MB" lw 2, "" using 1:2 axes x1y2 title "MB/s" lw 2
EOF
  plotted+=(fanin.png)
fi

# ---- RELP and TLS sinks against rsyslog as the forwarder (bench/logs.sh PARTS=relp)
if [ -f "$R/relp.txt" ]; then
  awk '/^\| sender \| wall s \| lines\/s/ {f = 1; n = 0} f && /^\|/ {n++; if (n > 2) print; next} f && n {exit}' \
    "$R/relp.txt" | awk -F' *\\| *' '{print $2 "\t" $4 "\t" $6}' >"$R/relp.tsv"
  gnuplot <<EOF
$common
set output "$IMG/relp.png"
set title "Forwarding to rsyslog: steward's sinks against rsyslog itself (higher is better; log scale)"
set ylabel "lines/s"
set logscale y
set yrange [*:*]
set xtics rotate by -20
set key off
plot "$R/relp.tsv" using 2:xtic(1) title "lines/s"
EOF
  plotted+=(relp.png)
fi

echo "plots in $IMG: ${plotted[*]:-none}"
