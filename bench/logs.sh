#!/usr/bin/env bash
# bench/logs.sh — steward's log pipeline against s6-log, svlogd, supervisord
# and plain cat, side by side in one run; plus lines per second to a real
# rsyslog over TCP, and PID 1's CPU time against log volume. Run on purpose,
# as root; not part of CI. Results: docs/BENCHMARKS-logs.md.
#
# One input file of MB megabytes of 100-byte lines (10-digit line number, a
# space, 88 'x', newline) is generated once; the producer is always
# `cat FILE`, started by `sh -c 'date > START; exec cat FILE'` so that every
# wall time runs from the producer's start to the moment the output holds
# every line (polled every millisecond by a small helper, lbtool, compiled
# by this script from bench/lbtool.c). Variants, REPEAT times each,
# interleaved:
#
#   steward-file   steward services mode, one service, file sink
#                  (TIME SERVICE STREAM line), console off
#   steward-raw    steward, console "raw", steward's stdout redirected to a file
#   s6-log-T       cat FILE | s6-log T (ISO 8601 timestamp) into a directory
#   svlogd-tt      cat FILE | svlogd -tt (UTC timestamp) into a directory
#   supervisord    supervisord -n, one program, stdout_logfile (no timestamp)
#   cat>file       cat FILE > out (coreutils uses copy_file_range: no pipe)
#   cat|cat>file   cat FILE | cat > out (the ceiling for anything fed by a pipe)
#
# steward runs as PID 1 of its own PID namespace; its main program is the
# observer (lbtool), which reads PID 1's and the forwarder's (steward-log)
# utime+stime, schedstat run time and VmHWM from /proc the moment the output
# is complete. Peers' CPU and peak RSS come from /usr/bin/time (s6-log,
# svlogd, cat) or /proc (supervisord: schedstat on-CPU time from its
# program's start to the output's completion, so its ~1 s start-up is not
# counted).
# Every output is checked: exactly N lines, each the next line number.
#
# Then: steward -> rsyslog (imtcp, octet-counted, loopback) with SYSLOG_LINES
# lines (overflow = "block", so nothing may be dropped), against the same
# messages framed beforehand and written by cat to rsyslog's socket (what
# rsyslog itself can take); and the file-sink run with SMALL_MB to compare
# PID 1's CPU time.
#
# PARTS=relp (bench/logs-relp.sh, not run by default): steward's relp and
# tls:// sinks against rsyslog itself as the forwarder (imptcp -> omrelp,
# omrelp with TLS, omfwd with TLS) into the same receiving rsyslog, on the
# same RELP_LINES lines; lines/s and the sender's CPU side by side.
#
# Environment: REPEAT (3) MB (200) SMALL_MB (20) SYSLOG_LINES (1000000)
#              RELP_LINES (200000)
#              TIMEOUT (300 s per run) KEEP (1: keep the temp dir; a failed
#              run's output is always kept) PARTS ("files rsyslog small":
#              which measures to run)
#              STEWARD_BASE (a second binary named steward, e.g. the commit
#              before a change: its file sink measured as steward-base-file)
#              STEWARD (a built binary), STEWARD_REF (a commit to build
#              instead of the working tree), STEWARD_BUILD_DIR
set -euo pipefail

REPEAT=${REPEAT:-3}
MB=${MB:-200}
SMALL_MB=${SMALL_MB:-20}
SYSLOG_LINES=${SYSLOG_LINES:-1000000}
TIMEOUT=${TIMEOUT:-300}
PARTS=${PARTS:-files rsyslog small}
LINES=$((MB * 10000))
SMALL_LINES=$((SMALL_MB * 10000))

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "$0: run as root (PID namespaces, apt-get)" >&2
  exit 1
fi
if [ "$SYSLOG_LINES" -gt "$LINES" ]; then
  echo "$0: SYSLOG_LINES ($SYSLOG_LINES) must not exceed MB*10000 ($LINES)" >&2
  exit 1
fi

T=$(mktemp -d /tmp/steward-logbench.XXXXXX)
BG=()  # pids of background processes this script started
cleanup() {
  local p
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
forget() {  # forget PID: it has been waited for
  local p keep=()
  for p in "${BG[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  BG=("${keep[@]}")
}
log() { echo "[$(date +%T)] $*" >&2; }
# keep_failed NAME FILE...: a failed run's output is kept for inspection
keep_failed() {
  local name=$1
  shift
  mkdir -p "$T/failed/$name"
  cp -a "$@" "$T/failed/$name/" 2>/dev/null || true
  KEEP=1
  log "$name: output kept in $T/failed/$name"
}

# need COMMAND DEBIAN-PACKAGE: install the package when the command is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 (for $1)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "$0: $2 did not provide $1" >&2; exit 1; }
}
need_file() {
  [ -e "$1" ] && return 0
  log "installing $2 (for $1)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
  fi
  [ -e "$1" ] || { echo "$0: $2 did not provide $1" >&2; exit 1; }
}

need s6-log s6
need svlogd runit
need supervisord supervisor
need rsyslogd rsyslog
need_file /usr/bin/time time
need ss iproute2
need cc gcc
need unshare util-linux

# ------------------------------------------------------------------ steward

build_steward() {
  if [ -n "${STEWARD:-}" ]; then
    [ -x "$STEWARD" ] || { echo "$0: STEWARD=$STEWARD is not executable" >&2; exit 1; }
    STEWARD_DESC="given as STEWARD=$STEWARD"
    return
  fi
  need cmake cmake
  need g++ g++
  need_file /usr/include/ev.h libev-dev
  need_file /usr/include/fmt/format.h libfmt-dev
  need_file /usr/include/toml++/toml.h libtomlplusplus-dev
  local src=$REPO_DIR build extra=()
  if [ -n "${STEWARD_REF:-}" ]; then
    # A committed state, exported to a directory of its own (the working
    # tree is not touched) and built there; reused by later runs.
    local commit
    commit=$(git -C "$REPO_DIR" rev-parse --short=12 "$STEWARD_REF")
    local top=${STEWARD_BUILD_DIR:-/tmp/steward-logbench-$commit}
    src=$top/src
    if [ ! -f "$src/CMakeLists.txt" ]; then
      mkdir -p "$src"
      git -C "$REPO_DIR" archive "$commit" | tar -x -C "$src"
    fi
    build=$top/build
    extra=(-DSTEWARD_COMMIT="$commit")
    STEWARD_DESC="commit $commit ($STEWARD_REF)"
  else
    build=${STEWARD_BUILD_DIR:-/tmp/steward-logbench-build}
    STEWARD_DESC="working tree of $(git -C "$REPO_DIR" rev-parse --short=12 HEAD 2>/dev/null || echo '?')"
    if [ -n "$(git -C "$REPO_DIR" status --porcelain -- src include CMakeLists.txt 2>/dev/null)" ]; then
      STEWARD_DESC="$STEWARD_DESC + uncommitted changes"
    fi
  fi
  log "building steward (Release, static) from the $STEWARD_DESC in $build"
  if ! { cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSTEWARD_TESTS=OFF "${extra[@]}" >/dev/null &&
         cmake --build "$build" -j"$(nproc)" >"$T/build.log" 2>&1; }; then
    grep -m5 'error' "$T/build.log" >&2 || tail -5 "$T/build.log" >&2
    echo "$0: building steward failed; STEWARD_REF=HEAD measures the last commit instead" >&2
    exit 1
  fi
  STEWARD=$build/steward
}
build_steward

# ------------------------------------------------------------------ lbtool

cc -O2 -Wall -Wextra -o "$T/lbtool" "$BENCH_DIR/lbtool.c"
LB=$T/lbtool

# ------------------------------------------------------------------ input

IN=$T/in.txt
SMALL=$T/small.txt
SYSIN=$T/syslog-in.txt
log "generating $MB MB of 100-byte lines"
awk -v n="$LINES" 'BEGIN {
  x = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; x = x x  # 88 x
  for (i = 1; i <= n; i++) printf "%010d %s\n", i, x }' >"$IN"
[ "$(stat -c %s "$IN")" = $((LINES * 100)) ] || { echo "$0: input has the wrong size" >&2; exit 1; }
head -n "$SMALL_LINES" "$IN" >"$SMALL"
head -n "$SYSLOG_LINES" "$IN" >"$SYSIN"
cat "$IN" "$SMALL" "$SYSIN" >/dev/null  # into the page cache

# check_lines FILE N: prints "ok" when FILE has exactly N lines and line i
# ends with the input's line i (its number is 99 bytes before the end).
check_lines() {
  [ -f "$1" ] || { echo "missing"; return; }
  awk -v n="$2" '{ if (substr($0, length($0) - 98, 10) + 0 != NR) bad++ }
    END { if (NR == n && bad == 0) print "ok"; else printf "BAD(lines=%d,misplaced=%d)\n", NR, bad }' "$1"
}

RES=$T/results.tsv  # variant rep wall cpu pid1_cpu pid1_run hwm anon file check
: >"$RES"
# record VARIANT REP WALL CPU PID1CPU PID1RUN HWM ANON FILE CHECK
record() {
  (IFS=$'\t'; echo "$*") >>"$RES"
  log "$(printf '%-13s #%s wall %-7s cpu %-6s pid1 %s/%s hwm %s kB  %s' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${10}")"
}
# the "done" time and the fields of a proc line of a result file
done_time() { awk '$1 == "done" {print $2}' "$1"; }
procf() {  # procf FILE COMM FIELD(4=cpu 5=run 6=hwm 7=rss 8=anon 9=file)
  awk -v c="$2" -v f="$3" '$1 == "proc" && $2 == c {print $f; exit}' "$1"
}
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || a == "timeout") print "-"; else printf "%.3f", a - b }'; }

# ------------------------------------------------------------------ steward

# run_steward VARIANT REP MODE INPUT NLINES [PORT]
# MODE: file (file sink, console off), raw (console raw to a file),
#       syslog (syslog sink to 127.0.0.1:PORT; output is rsyslog's file)
run_steward() {
  local v=$1 rep=$2 mode=$3 input=$4 n=$5 port=${6:-} d out rc=0 bin=$STEWARD
  case $v in steward-base-*) bin=$STEWARD_BASE ;; esac
  d=$T/run/$v.$rep
  rm -rf "$d"
  mkdir -p "$d/svc" "$d/rt" "$d/out"
  cat >"$d/svc/app.toml" <<EOF
command = ["/bin/sh", "-c", "date +%s.%N > $d/start; exec cat $input"]
EOF
  {
    echo '[log]'
    [ "$mode" = raw ] && echo 'console = "raw"' || echo 'console = "off"'
    echo 'syslog_socket = ""'
    if [ "$mode" = file ]; then
      cat <<EOF
[[log.sink]]
name = "files"
type = "file"
path = "$d/out/{service}.log"
rotate_size = "1GiB"
keep = 1
EOF
    fi
    if [ "$mode" = sink ]; then printf '%s\n' "$SINK_TOML"; fi  # bench/logs-relp.sh
    if [ "$mode" = syslog ]; then
      cat <<EOF
[[log.sink]]
name = "central"
type = "syslog"
url = "tcp://127.0.0.1:$port"
services = ["app"]
overflow = "block"
EOF
    fi
  } >"$d/global.toml"
  case $mode in
    file) out=$d/out/app.log ;;
    raw) out=$d/out/console.log ;;
    syslog) out=$RSL/got.log ;;
    sink) out=$RECV/got.log ;;
  esac
  local stdout=$d/stdout
  [ "$mode" = raw ] && stdout=$out
  # The main program is the observer: when it exits, steward shuts down.
  unshare --pid --fork --mount-proc --kill-child \
    "$bin" --services "$d/svc" --config "$d/global.toml" --runtime-dir "$d/rt" \
    -- "$LB" wait -o "$d/result" "$out" "$n" "$TIMEOUT" 1 @steward-log \
    >"$stdout" 2>"$d/steward.err" || rc=$?
  local check wall
  check=$(check_lines "$out" "$n")
  [ "$rc" = 0 ] || check="$check,exit=$rc"
  [ "$check" = ok ] || keep_failed "$v.$rep" "$out" "$d"
  if grep -q -e 'warning' -e 'error' "$d/steward.err"; then
    check="$check,steward-warned"
    grep -e 'warning' -e 'error' "$d/steward.err" | head -3 >&2
  fi
  wall=$(diff_s "$(done_time "$d/result")" "$(cat "$d/start" 2>/dev/null)")
  record "$v" "$rep" "$wall" "$(procf "$d/result" steward-log 4)" \
    "$(procf "$d/result" steward 4)" "$(procf "$d/result" steward 5)" \
    "$(procf "$d/result" steward-log 6)" "$(procf "$d/result" steward-log 8)" \
    "$(procf "$d/result" steward-log 9)" "$check"
  rm -rf "$d/out" "$d/rt" "$d/stdout"  # dirty pages of a deleted file are never written back
}

# ------------------------------------------------------------------ peers

# shellcheck source=bench/logs-peers.sh
. "$BENCH_DIR/logs-peers.sh"

# ------------------------------------------------------------------ rsyslog

# shellcheck source=bench/logs-rsyslog.sh
. "$BENCH_DIR/logs-rsyslog.sh"

# ------------------------------------------------------------------ run

START_TIME=$(date +%s)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
part files && for rep in $(seq 1 "$REPEAT"); do
  log "round $rep of $REPEAT: $MB MB"
  run_steward steward-file "$rep" file "$IN" "$LINES"
  if [ -n "${STEWARD_BASE:-}" ]; then run_steward steward-base-file "$rep" file "$IN" "$LINES"; fi
  run_steward steward-raw "$rep" raw "$IN" "$LINES"
  run_s6log "$rep"
  run_svlogd "$rep"
  run_supervisord "$rep"
  run_cat "$rep"
  run_catcat "$rep"
done
part rsyslog && make_framed && for rep in $(seq 1 "$REPEAT"); do
  log "rsyslog $rep of $REPEAT: $SYSLOG_LINES lines"
  run_rsyslog "$rep" steward
  run_rsyslog "$rep" direct
done
if part relp; then
  # shellcheck source=bench/logs-relp.sh
  . "$BENCH_DIR/logs-relp.sh"
  relp_setup
  for rep in $(seq 1 "$REPEAT"); do
    log "relp/tls $rep of $REPEAT: $RELP_LINES lines"
    relp_round "$rep"
  done
fi
part small && for rep in $(seq 1 "$REPEAT"); do
  log "small $rep of $REPEAT: $SMALL_MB MB"
  run_steward steward-small "$rep" file "$SMALL" "$SMALL_LINES"
done
ELAPSED=$(($(date +%s) - START_TIME))

# ------------------------------------------------------------------ report

# shellcheck source=bench/logs-report.sh
. "$BENCH_DIR/logs-report.sh"
