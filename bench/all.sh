#!/usr/bin/env bash
# bench/all.sh — every benchmark in one go, against the same steward binary:
# wrapper overhead, RSS and size (wrapper.sh), start/stop for 5, 20, 50 and
# 100 services (supervisor.sh), log throughput (logs.sh), fan-in
# (fanin.sh) and the RELP/TLS sinks against rsyslog as the forwarder
# (logs.sh PARTS=relp). Writes one results directory per run, bench/results/STAMP-COMMIT/,
# with each script's report, meta.txt (machine, load, commit, binary) and the
# plots' data, and renders the plots into docs/img/ (bench/plot.sh). Run on
# purpose, as root, on a quiet machine; not part of CI. Takes ~40 minutes
# (QUICK=1: a few minutes, figures only for trying the scripts out).
# Every peer and tool is installed with apt-get by the script that needs
# it (tini, dumb-init, catatonit, valgrind, supervisor, runit, s6, rsyslog,
# rsyslog-relp, gnuplot-nox); on another distribution, install those first.
#
# Environment: OUT (results directory), SIZES ("5 20 50 100"), PARTS
#              ("wrapper supervisor logs fanin relp"), QUICK (0),
#              RELP_LINES (20000), plus what each script takes (STEWARD,
#              STEWARD_REF, STEWARD_BASE for wrapper.sh, ...).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

SIZES=${SIZES:-5 20 50 100}
ALL_PARTS=${PARTS:-wrapper supervisor logs fanin relp}
unset PARTS  # logs.sh has a PARTS of its own: ours must not reach it
RELP_LINES=${RELP_LINES:-20000}
QUICK=${QUICK:-0}

bench_init
build_steward
export STEWARD
commit=$(git -C "$REPO_DIR" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
OUT=${OUT:-$REPO_DIR/bench/results/$(date -u +%Y%m%dT%H%MZ)-$commit}
mkdir -p "$OUT"
{
  machine_info
  echo "commit:  $commit$( [ -n "$(git -C "$REPO_DIR" status --porcelain -- src include 2>/dev/null)" ] && echo ' + uncommitted changes')"
  echo "parts:   $ALL_PARTS; sizes: $SIZES; quick: $QUICK"
  echo "peers:   $(for p in tini dumb-init catatonit supervisor runit s6 rsyslog; do
    dpkg-query -W -f='${Package} ${Version}, ' "$p" 2>/dev/null; done)"
} >"$OUT/meta.txt"
cat "$OUT/meta.txt"

if [ "$QUICK" = 1 ]; then
  export N=200 NS_N=100 REPEAT=1 IDLE=2 MB=20 SMALL_MB=5 SYSLOG_LINES=100000
fi

# levels x width for a number of services: a few levels, each depending on
# the one before, as a real service set does
shape() {
  case $1 in
    5) echo "5 1" ;; 20) echo "4 5" ;; 50) echo "5 10" ;; 100) echo "5 20" ;;
    *) echo "1 $1" ;;
  esac
}

step() { echo "[$(date -u +%T)] $*" >&2; }
for part in $ALL_PARTS; do
  case $part in
    wrapper)
      step "wrapper.sh"
      bash "$BENCH_DIR/wrapper.sh" >"$OUT/wrapper.txt" 2>"$OUT/wrapper.log"
      ;;
    supervisor)
      for n in $SIZES; do
        read -r levels width <<<"$(shape "$n")"
        step "supervisor.sh with $n services ($levels levels x $width)"
        LEVELS=$levels WIDTH=$width REPEAT=${REPEAT:-3} IDLE=${IDLE:-5} \
          bash "$BENCH_DIR/supervisor.sh" >"$OUT/supervisor-$n.txt" 2>"$OUT/supervisor-$n.log"
      done
      ;;
    logs)
      step "logs.sh"
      bash "$BENCH_DIR/logs.sh" >"$OUT/logs.txt" 2>"$OUT/logs.log"
      ;;
    fanin)
      step "fanin.sh"
      bash "$BENCH_DIR/fanin.sh" >"$OUT/fanin.txt" 2>"$OUT/fanin.log"
      ;;
    relp)
      # rsyslog's omrelp manages ~650 lines/s here (docs/BENCHMARKS-logs.md),
      # hence far fewer lines than the other log measures
      step "logs.sh PARTS=relp ($RELP_LINES lines)"
      PARTS=relp MB=20 REPEAT=1 RELP_LINES=$RELP_LINES SYSLOG_LINES=$RELP_LINES \
        bash "$BENCH_DIR/logs.sh" >"$OUT/relp.txt" 2>"$OUT/relp.log"
      ;;
    *) echo "$0: unknown part $part" >&2; exit 2 ;;
  esac
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
bash "$BENCH_DIR/plot.sh" "$OUT"
echo "results in $OUT"
