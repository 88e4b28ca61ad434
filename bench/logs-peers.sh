# bench/logs-peers.sh — sourced by bench/logs.sh: the peers' runs (s6-log, svlogd,
# cat|cat, cat, supervisord), each recorded like steward's.
# Uses what logs.sh defines before sourcing it (T, LB, IN, LINES, TIMEOUT, BG,
# forget, log, keep_failed, check_lines, record, done_time, procf, diff_s).
# shellcheck shell=bash

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
