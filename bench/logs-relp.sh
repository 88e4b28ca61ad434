# bench/logs-relp.sh — sourced by bench/logs.sh for PARTS=relp: steward's
# relp and tls:// sinks against rsyslog itself as the forwarder, side by
# side on the same RELP_LINES lines, into one receiving rsyslog (fresh for
# every run) that writes every message to a file:
#
#   steward-relp        relp sink -> imrelp
#   steward-relp-tls    relp sink over TLS (client certificate) -> imrelp tls
#   steward-syslog-tls  syslog sink over TLS (RFC 5425) -> imtcp (gtls)
#   rsyslog-omrelp      cat FRAMED -> rsyslog imptcp -> omrelp -> imrelp
#   rsyslog-omrelp-tls  ... -> omrelp tls="on" -> imrelp tls
#   rsyslog-omfwd-tls   ... -> omfwd (gtls, octet-counted) -> imtcp (gtls)
#
# Wall time runs from the producer's start until the receiver's file holds
# every line; "sender CPU" is the forwarder's utime+stime (steward-log, or
# the forwarding rsyslogd), read when the output is complete. The receiving
# rsyslog and every queue run with one worker, so that lines stay in order.
# Certificates are made with openssl in the run's directory.
# shellcheck shell=bash

RELP_LINES=${RELP_LINES:-200000}
need_file /usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so rsyslog-relp
need_file /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so rsyslog-gnutls
need openssl openssl

RECV=$T/recv
PKI=$T/pki
RELPIN=$T/relp-in.txt
RELP_FRAMED=$T/relp-framed.txt

relp_setup() {
  [ "$RELP_LINES" -le "$LINES" ] || { echo "$0: RELP_LINES must not exceed MB*10000" >&2; exit 1; }
  head -n "$RELP_LINES" "$IN" >"$RELPIN"
  awk -v host="$(hostname)" '{ m = "<14>1 2026-01-01T00:00:00.000000Z " host " app 1 stdout - " $0
    printf "%d %s", length(m), m }' "$RELPIN" >"$RELP_FRAMED"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=bench-ca
    for c in server:collector.test client:steward-client; do
      n=${c%%:*} cn=${c#*:}
      openssl req -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$cn"
      printf 'subjectAltName=DNS:%s\n' "$cn" >"$n.ext"
      openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$n.pem" \
        -days 30 -extfile "$n.ext"
    done
  ) >"$T/pki.log" 2>&1 || { cat "$T/pki.log" >&2; exit 1; }
}

# start_rsyslog DIR CONF-BODY: rsyslogd -n on DIR/rsl.conf; sets RS_PID
start_rsyslog() {
  local dir=$1
  shift
  mkdir -p "$dir"
  printf '%s\n' "$@" >"$dir/rsl.conf"
  rsyslogd -N1 -f "$dir/rsl.conf" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; exit 1; }
  rsyslogd -n -f "$dir/rsl.conf" -i "$dir/pid" >"$dir/rsyslogd.log" 2>&1 &
  RS_PID=$!
  BG+=("$RS_PID")
}
wait_port() {
  for _ in $(seq 1 200); do
    [ -n "$(ss -Htln "sport = :$1")" ] && return
    sleep 0.05
  done
  echo "$0: nothing listens on $1" >&2
  exit 1
}
stop_rsyslog() {
  kill -TERM "$1"
  wait "$1" || true
  forget "$1"
}

# The receiver: imrelp plain (RP), imrelp TLS (RTP), imtcp TLS (TP).
start_receiver() {
  rm -rf "$RECV"
  RP=$(free_port) RTP=$(free_port) TP=$(free_port)
  start_rsyslog "$RECV" \
    "global(workDirectory=\"$RECV\" maxMessageSize=\"64k\" parser.escapeControlCharactersOnReceive=\"off\"" \
    "  DefaultNetstreamDriverCAFile=\"$PKI/ca.pem\" DefaultNetstreamDriverCertFile=\"$PKI/server.pem\"" \
    "  DefaultNetstreamDriverKeyFile=\"$PKI/server.key\")" \
    "main_queue(queue.workerThreads=\"1\")" \
    "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")" \
    "ruleset(name=\"in\") { action(type=\"omfile\" file=\"$RECV/got.log\" template=\"raw\") }" \
    "module(load=\"imrelp\")" \
    "input(type=\"imrelp\" address=\"127.0.0.1\" port=\"$RP\" ruleset=\"in\")" \
    "input(type=\"imrelp\" address=\"127.0.0.1\" port=\"$RTP\" ruleset=\"in\" tls=\"on\"" \
    "  tls.caCert=\"$PKI/ca.pem\" tls.myCert=\"$PKI/server.pem\" tls.myPrivKey=\"$PKI/server.key\"" \
    "  tls.authMode=\"certvalid\")" \
    "module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")" \
    "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$TP\" ruleset=\"in\" supportOctetCountedFraming=\"on\")"
  RECV_PID=$RS_PID
  wait_port "$RP"; wait_port "$RTP"; wait_port "$TP"
}

# run_relp_steward VARIANT REP TYPE URL [TLS KEYS...]
run_relp_steward() {
  local v=$1 rep=$2 type=$3 url=$4
  shift 4
  start_receiver
  url=${url//@RP@/$RP}; url=${url//@RTP@/$RTP}; url=${url//@TP@/$TP}
  SINK_TOML=$(printf '%s\n' '[[log.sink]]' 'name = "central"' "type = \"$type\"" "url = \"$url\"" \
    'services = ["app"]' 'overflow = "block"' "$@")
  run_steward "$v" "$rep" sink "$RELPIN" "$RELP_LINES"
  stop_rsyslog "$RECV_PID"
}

# run_relp_rsyslog VARIANT REP ACTION: a forwarding rsyslog (imptcp on FP,
# the action given) fed by cat with the framed messages.
run_relp_rsyslog() {
  local v=$1 rep=$2 action=$3 d=$T/run/$1.$2 fwd=$T/fwd lb rc=0
  rm -rf "$d" "$fwd"; mkdir -p "$d"
  start_receiver
  FP=$(free_port)
  action=${action//@RP@/$RP}; action=${action//@RTP@/$RTP}; action=${action//@TP@/$TP}
  start_rsyslog "$fwd" \
    "global(workDirectory=\"$fwd\" maxMessageSize=\"64k\" parser.escapeControlCharactersOnReceive=\"off\"" \
    "  DefaultNetstreamDriverCAFile=\"$PKI/ca.pem\" DefaultNetstreamDriverCertFile=\"$PKI/client.pem\"" \
    "  DefaultNetstreamDriverKeyFile=\"$PKI/client.key\")" \
    "main_queue(queue.workerThreads=\"1\")" \
    "module(load=\"imptcp\")" "module(load=\"omrelp\")" \
    "ruleset(name=\"fwd\") { $action }" \
    "input(type=\"imptcp\" address=\"127.0.0.1\" port=\"$FP\" ruleset=\"fwd\")"
  local fpid=$RS_PID
  wait_port "$FP"
  "$LB" wait -o "$d/result" "$RECV/got.log" "$RELP_LINES" "$TIMEOUT" "$fpid" &
  lb=$!
  BG+=("$lb")
  date +%s.%N >"$d/start"
  bash -c 'exec cat "$0" > "/dev/tcp/127.0.0.1/$1"' "$RELP_FRAMED" "$FP" || rc=$?
  wait "$lb" || rc=$?
  forget "$lb"
  local check
  check=$(check_lines "$RECV/got.log" "$RELP_LINES")
  [ "$rc" = 0 ] || check="$check,exit=$rc"
  [ "$check" = ok ] || keep_failed "$v.$rep" "$RECV" "$fwd"
  record "$v" "$rep" "$(diff_s "$(done_time "$d/result")" "$(cat "$d/start")")" \
    "$(procf "$d/result" rsyslogd 4)" - - "$(procf "$d/result" rsyslogd 6)" - - "$check"
  stop_rsyslog "$fpid"
  stop_rsyslog "$RECV_PID"
}

relp_round() {
  local rep=$1 tls_keys=("tls_ca = \"$PKI/ca.pem\"" 'tls_server_name = "collector.test"')
  local fmt='template="RSYSLOG_SyslogProtocol23Format"'
  local rtls="tls=\"on\" tls.caCert=\"$PKI/ca.pem\" tls.myCert=\"$PKI/client.pem\" tls.myPrivKey=\"$PKI/client.key\" tls.authMode=\"name\" tls.permittedPeer=\"collector.test\""
  run_relp_steward steward-relp "$rep" relp "tcp://127.0.0.1:@RP@"
  run_relp_rsyslog rsyslog-omrelp "$rep" \
    "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"@RP@\" windowSize=\"128\" $fmt)"
  run_relp_steward steward-relp-tls "$rep" relp "tls://127.0.0.1:@RTP@" "${tls_keys[@]}" \
    "tls_cert = \"$PKI/client.pem\"" "tls_key = \"$PKI/client.key\""
  run_relp_rsyslog rsyslog-omrelp-tls "$rep" \
    "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"@RTP@\" windowSize=\"128\" $fmt $rtls)"
  run_relp_steward steward-syslog-tls "$rep" syslog "tls://127.0.0.1:@TP@" "${tls_keys[@]}"
  run_relp_rsyslog rsyslog-omfwd-tls "$rep" \
    "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"@TP@\" protocol=\"tcp\" TCP_Framing=\"octet-counted\" StreamDriver=\"gtls\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\" StreamDriverPermittedPeers=\"collector.test\" $fmt)"
}

relp_report() {
  echo "## RELP and TLS: steward's sinks against rsyslog as the forwarder, $RELP_LINES lines"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load $LOAD at start; steward $STEWARD_DESC;" \
    "rsyslog $(ver rsyslog), librelp $(ver librelp0); medians of $REPEAT runs"
  echo
  echo "| sender | wall s | lines/s | sender CPU s | CPU us/line | sender peak RSS KiB | every line |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  local v w c
  for v in steward-relp rsyslog-omrelp steward-relp-tls rsyslog-omrelp-tls steward-syslog-tls rsyslog-omfwd-tls; do
    w=$(med "$v" 3) c=$(med "$v" 4)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$v" "$(calc "$w" "%.3f")" \
      "$(calc "$RELP_LINES/$w" "%.0f")" "$(calc "$c" "%.2f")" "$(calc "$c*1000000/$RELP_LINES" "%.2f")" \
      "$(med "$v" 7)" "$(checks "$v")"
  done
  echo
  echo "steward-*: the forwarder (steward-log) with the sink (spool on disk, overflow = \"block\")."
  echo "rsyslog-*: a second rsyslogd fed the same messages pre-framed on imptcp, forwarding them."
  echo
}
