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
# from this script). Variants, REPEAT times each, interleaved:
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

cat >"$T/lbtool.c" <<'EOF'
/* lbtool: the measuring helper of bench/logs.sh.
 *
 * lbtool wait [-o OUT] PATH LINES TIMEOUT [PROC...]
 *   Polls PATH every millisecond until it holds LINES lines as long as its
 *   first line (every output measured has fixed-width lines); LINES = 0:
 *   until PATH is not empty. Then prints at once "done REALTIME SIZE" and
 *   one "proc" line per PROC. On timeout prints "done timeout SIZE", exit 1.
 * lbtool proc [-o OUT] PROC...
 *   The "proc" lines, now.
 * PROC: a pid, @COMM (the process named COMM; retried for 5 s), or ^PID
 *   (the child of PID).
 * proc line: proc COMM PID CPU_S RUN_S HWM_KB RSS_KB ANON_KB FILE_KB
 *   CPU_S = utime+stime (/proc/PID/stat), RUN_S = on-CPU time from
 *   /proc/PID/schedstat (nanoseconds), the rest from /proc/PID/status.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int readfile(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return (int)n;
}

static void nap(long ns) {
  struct timespec d = {0, ns};
  nanosleep(&d, 0);
}

static double mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* pid of a process whose comm is name (mode '@') or whose parent is ppid
 * (mode '^'); 0 if none. */
static long find(char mode, const char *name, long ppid) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  long found = 0;
  char path[300], buf[512];
  if (!d) return 0;
  while (!found && (e = readdir(d))) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    if (mode == '@') {
      snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
      if (readfile(path, buf, sizeof buf) <= 0) continue;
      buf[strcspn(buf, "\n")] = 0;
      if (strcmp(buf, name) == 0) found = atol(e->d_name);
    } else {
      snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
      if (readfile(path, buf, sizeof buf) <= 0) continue;
      char *p = strrchr(buf, ')');
      char st;
      long pp;
      if (p && sscanf(p + 1, " %c %ld", &st, &pp) == 2 && pp == ppid) found = atol(e->d_name);
    }
  }
  closedir(d);
  return found;
}

static long resolve(const char *spec) {
  if (spec[0] != '@' && spec[0] != '^') return atol(spec);
  for (int i = 0; i < 500; ++i) {
    long pid = find(spec[0], spec + 1, spec[0] == '^' ? atol(spec + 1) : 0);
    if (pid > 0) return pid;
    nap(10000000);
  }
  return 0;
}

static long field(const char *status, const char *key) {
  const char *p = strstr(status, key);
  return p ? atol(p + strlen(key)) : -1;
}

static void proc(FILE *out, long pid) {
  char path[64], stat[4096], sched[256], status[8192], comm[64] = "?";
  double cpu = -1, run = -1;
  long tck = sysconf(_SC_CLK_TCK);
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if (pid > 0 && readfile(path, stat, sizeof stat) > 0) {
    char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    if (open && close && close - open - 1 < (long)sizeof comm) {
      memcpy(comm, open + 1, (size_t)(close - open - 1));
      comm[close - open - 1] = 0;
    }
    unsigned long ut = 0, stt = 0;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime */
    if (close && sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) == 2)
      cpu = (double)(ut + stt) / (double)tck;
  }
  snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
  if (pid > 0 && readfile(path, sched, sizeof sched) > 0) run = atof(sched) / 1e9;
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  if (pid <= 0 || readfile(path, status, sizeof status) <= 0) status[0] = 0;
  fprintf(out, "proc %s %ld %.3f %.6f %ld %ld %ld %ld\n", comm, pid, cpu, run,
          field(status, "VmHWM:"), field(status, "VmRSS:"), field(status, "RssAnon:"),
          field(status, "RssFile:"));
}

static long first_line(const char *path) {
  char buf[65536];
  int n = readfile(path, buf, sizeof buf);
  if (n <= 0) return 0;
  char *nl = memchr(buf, '\n', (size_t)n);
  return nl ? (long)(nl - buf) + 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lbtool wait [-o OUT] PATH LINES TIMEOUT [PROC...] | proc [-o OUT] PROC...\n");
    return 2;
  }
  int i = 2;
  FILE *out = stdout;
  if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
    out = fopen(argv[i + 1], "w");
    if (!out) { perror(argv[i + 1]); return 2; }
    i += 2;
  }
  long pids[16];
  int np = 0;
  if (strcmp(argv[1], "proc") == 0) {
    for (; i < argc && np < 16; ++i) pids[np++] = resolve(argv[i]);
    for (int k = 0; k < np; ++k) proc(out, pids[k]);
    return 0;
  }
  if (strcmp(argv[1], "wait") != 0 || argc - i < 3) return 2;
  const char *path = argv[i];
  long long lines = atoll(argv[i + 1]);
  double limit = atof(argv[i + 2]);
  for (i += 3; i < argc && np < 16; ++i) pids[np++] = resolve(argv[i]);
  double t0 = mono();
  long len = 0;
  struct stat st;
  int ok = 0;
  for (;;) {
    if (stat(path, &st) == 0 && st.st_size > 0) {
      if (lines == 0) { ok = 1; break; }
      if (len == 0) len = first_line(path);
      if (len > 0 && st.st_size >= (long long)len * lines) { ok = 1; break; }
    }
    if (mono() - t0 > limit) break;
    nap(1000000);
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (stat(path, &st) != 0) st.st_size = 0;
  if (ok) fprintf(out, "done %lld.%09ld %lld\n", (long long)now.tv_sec, now.tv_nsec, (long long)st.st_size);
  else fprintf(out, "done timeout %lld\n", (long long)st.st_size);
  for (int k = 0; k < np; ++k) proc(out, pids[k]);
  fflush(out);
  return ok ? 0 : 1;
}
EOF
cc -O2 -Wall -o "$T/lbtool" "$T/lbtool.c"
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

# run_pipe VARIANT REP DIR OUTFILE CMD...: cat INPUT | /usr/bin/time CMD
run_pipe() {
  local v=$1 rep=$2 d=$3 out=$4 lb rc=0
  shift 4
  "$LB" wait -o "$d/result" "$out" "$LINES" "$TIMEOUT" &
  lb=$!
  BG+=("$lb")
  sh -c 'date +%s.%N > "$0"; exec cat "$1"' "$d/start" "$IN" |
    /usr/bin/time -o "$d/time" -f '%e %U %S %M' "$@" || rc=$?
  wait "$lb" || rc=$?
  forget "$lb"
  local check
  check=$(check_lines "$out" "$LINES")
  [ "$rc" = 0 ] || check="$check,exit=$rc"
  [ "$check" = ok ] || keep_failed "$v.$rep" "$d"
  record "$v" "$rep" "$(diff_s "$(done_time "$d/result")" "$(cat "$d/start")")" \
    "$(awk '{printf "%.3f", $2 + $3}' "$d/time")" - - "$(awk '{print $4}' "$d/time")" - - "$check"
}

run_s6log() {
  local d=$T/run/s6-log-T.$1
  rm -rf "$d"; mkdir -p "$d/out"
  run_pipe s6-log-T "$1" "$d" "$d/out/current" s6-log T s268435455 n1 "$d/out"
  rm -rf "$d/out"
}

run_svlogd() {
  local d=$T/run/svlogd-tt.$1
  rm -rf "$d"; mkdir -p "$d/out"
  echo s0 >"$d/out/config"  # no rotation
  run_pipe svlogd-tt "$1" "$d" "$d/out/current" svlogd -tt "$d/out"
  rm -rf "$d/out"
}

run_catcat() {
  local d=$T/run/catcat.$1
  rm -rf "$d"; mkdir -p "$d"
  run_pipe 'cat|cat>file' "$1" "$d" "$d/out" sh -c 'exec cat > "$0"' "$d/out"
  rm -f "$d/out"
}

run_cat() {
  local d=$T/run/cat.$1 lb rc=0
  rm -rf "$d"; mkdir -p "$d"
  "$LB" wait -o "$d/result" "$d/out" "$LINES" "$TIMEOUT" &
  lb=$!
  BG+=("$lb")
  date +%s.%N >"$d/start"
  /usr/bin/time -o "$d/time" -f '%e %U %S %M' cat "$IN" >"$d/out" || rc=$?
  wait "$lb" || rc=$?
  forget "$lb"
  local check
  check=$(check_lines "$d/out" "$LINES")
  [ "$rc" = 0 ] || check="$check,exit=$rc"
  [ "$check" = ok ] || keep_failed "cat.$1" "$d"
  record 'cat>file' "$1" "$(diff_s "$(done_time "$d/result")" "$(cat "$d/start")")" \
    "$(awk '{printf "%.3f", $2 + $3}' "$d/time")" - - "$(awk '{print $4}' "$d/time")" - - "$check"
  rm -f "$d/out"
}

run_supervisord() {
  local d=$T/run/supervisord.$1 u sp rc=0
  rm -rf "$d"; mkdir -p "$d"
  cat >"$d/supervisord.conf" <<EOF
[supervisord]
nodaemon=true
logfile=$d/supervisord.log
logfile_maxbytes=0
pidfile=$d/supervisord.pid
[program:app]
command=/bin/sh -c 'date +%%s.%%N > $d/start; exec cat $IN'
stdout_logfile=$d/app.log
stdout_logfile_maxbytes=0
stdout_logfile_backups=0
autorestart=false
startsecs=0
EOF
  unshare --pid --fork --mount-proc --kill-child supervisord -n -c "$d/supervisord.conf" \
    >"$d/stdout" 2>&1 &
  u=$!
  BG+=("$u")
  # supervisord is unshare's child (PID 1 of the namespace)
  "$LB" proc -o "$d/pids" "^$u"
  sp=$(awk '{print $3}' "$d/pids")
  # its CPU when the program starts (start-up, imports), then when done
  "$LB" wait -o "$d/result0" "$d/start" 0 "$TIMEOUT" "$sp" || rc=$?
  "$LB" wait -o "$d/result" "$d/app.log" "$LINES" "$TIMEOUT" "$sp" || rc=$?
  kill -TERM "$sp" 2>/dev/null || true
  wait "$u" || true
  forget "$u"
  local check
  check=$(check_lines "$d/app.log" "$LINES")
  [ "$rc" = 0 ] || check="$check,exit=$rc"
  [ "$check" = ok ] || keep_failed "supervisord.$1" "$d"
  record supervisord "$1" "$(diff_s "$(done_time "$d/result")" "$(cat "$d/start")")" \
    "$(diff_s "$(procf "$d/result" supervisord 5)" "$(procf "$d/result0" supervisord 5)")" - - \
    "$(procf "$d/result" supervisord 6)" "$(procf "$d/result" supervisord 8)" \
    "$(procf "$d/result" supervisord 9)" "$check"
  rm -f "$d/app.log"
}

# ------------------------------------------------------------------ rsyslog

RSL=$T/rsl
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    if [ -z "$(ss -Htan "sport = :$p")" ]; then echo "$p"; return; fi
  done
  echo "$0: no free port" >&2
  exit 1
}

# The same messages steward sends (RFC 5424, octet-counted), framed once, for
# rsyslog's own ceiling: cat writes them to the socket, nothing is formatted.
FRAMED=$T/syslog-framed.txt
make_framed() {
  awk -v host="$(hostname)" '{ m = "<14>1 2026-01-01T00:00:00.000000Z " host " app 1 stdout - " $0
    printf "%d %s", length(m), m }' "$SYSIN" >"$FRAMED"
}

# run_direct REP PORT: cat FRAMED > /dev/tcp/127.0.0.1/PORT
run_direct() {
  local rep=$1 port=$2 d=$T/run/rsyslog-direct.$1 lb rc=0
  rm -rf "$d"; mkdir -p "$d"
  "$LB" wait -o "$d/result" "$RSL/got.log" "$SYSLOG_LINES" "$TIMEOUT" &
  lb=$!
  BG+=("$lb")
  date +%s.%N >"$d/start"
  /usr/bin/time -o "$d/time" -f '%e %U %S %M' \
    bash -c 'exec cat "$0" > "/dev/tcp/127.0.0.1/$1"' "$FRAMED" "$port" || rc=$?
  wait "$lb" || rc=$?
  forget "$lb"
  local check
  check=$(check_lines "$RSL/got.log" "$SYSLOG_LINES")
  [ "$rc" = 0 ] || check="$check,exit=$rc"
  [ "$check" = ok ] || keep_failed "rsyslog-direct.$rep" "$RSL/got.log"
  record rsyslog-direct "$rep" "$(diff_s "$(done_time "$d/result")" "$(cat "$d/start")")" \
    "$(awk '{printf "%.3f", $2 + $3}' "$d/time")" - - "$(awk '{print $4}' "$d/time")" - - "$check"
}

# run_rsyslog REP KIND: a fresh rsyslog on a free port; KIND steward
# (steward's syslog sink sends SYSLOG_LINES) or direct (run_direct)
run_rsyslog() {
  local rep=$1 kind=$2 port rp
  rm -rf "$RSL"; mkdir -p "$RSL"
  port=$(free_port)
  cat >"$RSL/rsl.conf" <<EOF
global(workDirectory="$RSL" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off")
# One worker on the main queue: with more, rsyslog writes its batches (256
# messages) out of order under load, and the order check would fail.
main_queue(queue.workerThreads="1")
module(load="imtcp" MaxSessions="200")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="in") { action(type="omfile" file="$RSL/got.log" template="raw") }
input(type="imtcp" address="127.0.0.1" port="$port" ruleset="in"
      supportOctetCountedFraming="on")
EOF
  rsyslogd -N1 -f "$RSL/rsl.conf" >"$RSL/check.log" 2>&1 || { cat "$RSL/check.log" >&2; exit 1; }
  rsyslogd -n -f "$RSL/rsl.conf" -i "$RSL/pid" >"$RSL/rsyslogd.log" 2>&1 &
  rp=$!
  BG+=("$rp")
  for _ in $(seq 1 200); do
    [ -n "$(ss -Htln "sport = :$port")" ] && break
    sleep 0.05
  done
  [ -n "$(ss -Htln "sport = :$port")" ] || { echo "$0: rsyslogd did not listen on $port" >&2; exit 1; }
  "$LB" proc -o "$RSL/before" "$rp" >/dev/null
  if [ "$kind" = steward ]; then
    run_steward steward-rsyslog "$rep" syslog "$SYSIN" "$SYSLOG_LINES" "$port"
  else
    run_direct "$rep" "$port"
  fi
  "$LB" proc -o "$RSL/after" "$rp" >/dev/null
  kill -TERM "$rp"
  wait "$rp" || true
  forget "$rp"
  printf '%s\t%s\t%s\n' "$kind" "$rep" \
    "$(diff_s "$(procf "$RSL/after" rsyslogd 4)" "$(procf "$RSL/before" rsyslogd 4)")" >>"$T/rsyslogd.tsv"
  rm -rf "$RSL"
}

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
