# bench/logs-rsyslog.sh — sourced by bench/logs.sh: steward's syslog sink into a real
# rsyslog over TCP, against cat writing the same framed messages (PARTS=rsyslog).
# Uses what logs.sh defines before sourcing it (T, LB, SYSIN, SYSLOG_LINES,
# TIMEOUT, BG, forget, keep_failed, check_lines, record, done_time, procf,
# diff_s, run_steward).
# shellcheck shell=bash

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
