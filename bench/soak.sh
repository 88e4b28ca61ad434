#!/usr/bin/env bash
# Soak test (not CI): steward as PID 1 for a long time under everything at
# once, then proves that every line was delivered and that memory is flat.
#
#   bench/soak.sh [SECONDS]          default 3600 (SOAK_SECONDS)
#
# - two services write SOAK_LINES numbered lines per run ("a-RUN-N") at full
#   speed, exit, and are restarted (restart = "always", 1 s delay);
# - a third sends syslog(3) messages ("s-N") through /dev/log with logger;
# - every sink: console (json, to a file), a file sink, an RFC 5424 syslog
#   sink over TCP and a JSON sink over TCP, both to a real rsyslog on
#   loopback that is stopped for 10 s every SOAK_FLAP seconds (default 45);
# - the forwarder is SIGKILLed every 60 s (SOAK_KILL).
# At the end the services are told to stop writing, steward gets SIGTERM and
# drains, and each sink's output is checked: every line of every run, and
# s-1..s-MAX, at least once. VmRSS of PID 1 and of the forwarder is sampled
# every 10 s; the script fails if PID 1 grew by more than 2 MiB after the
# first minute. Needs root, rsyslog, logger (util-linux). Exit 0 = passed.
# Known limit: the syslog and json sinks are plain TCP; a record that the
# collector's kernel acknowledged and the collector never read (stopped
# with data in its socket) is lost, and shows here as MISSING for those two
# sinks only (docs/LOGGING.md "Limits"). RELP closes that gap.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${SOAK_SECONDS:-3600}}
lines=${SOAK_LINES:-5000}
flap=${SOAK_FLAP:-45}
kill_every=${SOAK_KILL:-60}
bin=${STEWARD_BIN:-build/steward}
[ -x "$bin" ] || { echo "build steward first ($bin)" >&2; exit 2; }
command -v rsyslogd >/dev/null || { echo "rsyslogd is needed (apt-get install rsyslog)" >&2; exit 2; }
dir=$(mktemp -d "${SOAK_DIR:-/tmp}/steward-soak-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir"/{services,run,logs,rsl}
echo "soak: $secs s in $dir (lines per run $lines, collector flaps every $flap s, forwarder killed every $kill_every s)"

free_port() {
  local p
  while :; do
    p=$(shuf -i 20000-60000 -n 1)
    ss -Htanu | awk '{print $5}' | grep -q ":$p\$" || { echo "$p"; return; }
  done
}
port=$(free_port); jport=$(free_port)

cat >"$dir/rsl.conf" <<RSL
global(workDirectory="$dir/rsl" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off")
module(load="imtcp" MaxSessions="50")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="sys") { action(type="omfile" file="$dir/rsl/syslog.log" template="raw") }
ruleset(name="json") { action(type="omfile" file="$dir/rsl/json.log" template="raw") }
input(type="imtcp" address="127.0.0.1" port="$port" ruleset="sys" supportOctetCountedFraming="on")
input(type="imtcp" address="127.0.0.1" port="$jport" ruleset="json")
RSL
rsl_pid=
rsl_start() { rsyslogd -n -f "$dir/rsl.conf" -i "$dir/rsl/pid" & rsl_pid=$!; }
rsl_stop() { [ -n "$rsl_pid" ] && kill "$rsl_pid" 2>/dev/null && wait "$rsl_pid" 2>/dev/null || true; rsl_pid=; }

cat >"$dir/steward.toml" <<TOML
shutdown_timeout = "60s"
[log]
console = "json"
syslog_socket = "$dir/dev-log"
[[log.sink]]
name = "central"
type = "syslog"
url = "tcp://127.0.0.1:$port"
buffer = "256MiB"
[[log.sink]]
name = "vector"
type = "json"
url = "tcp://127.0.0.1:$jport"
buffer = "256MiB"
[[log.sink]]
name = "files"
type = "file"
path = "$dir/logs/{service}.log"
rotate_size = "1GiB"
keep = 50
TOML
for s in a b; do
  cat >"$dir/services/$s.toml" <<TOML
command = ["/bin/sh", "-c", "if [ -e $dir/stop ]; then exec sleep 100000; fi; n=\$\$(cat $dir/runs-$s 2>/dev/null || echo 0); n=\$\$((n+1)); echo \$\$n > $dir/runs-$s; seq -f $s-\$\$n-%.0f 1 $lines; exit 0"]
restart = "always"
restart_delay = "1s"
restart_delay_max = "1s"
TOML
done
cat >"$dir/services/sys.toml" <<TOML
command = ["/bin/sh", "-c", "i=0; while [ ! -e $dir/stop ]; do i=\$\$((i+1)); logger -u $dir/dev-log -t soak s-\$\$i; echo \$\$i > $dir/sys-max; done; exec sleep 100000"]
TOML

cleanup() { [ -n "${outer:-}" ] && kill -9 "${steward:-$outer}" 2>/dev/null; rsl_stop; }
trap cleanup EXIT
rsl_start
unshare --pid --fork --mount-proc "$bin" --services "$dir/services" --config "$dir/steward.toml" \
  --runtime-dir "$dir/run" >"$dir/console.json" 2>"$dir/steward.err" &
outer=$!
sleep 1
steward=$(cat /proc/$outer/task/$outer/children | awk '{print $1}')
forwarder() { for c in $(cat /proc/$steward/task/$steward/children 2>/dev/null); do
  [ "$(cat /proc/$c/comm 2>/dev/null)" = steward-log ] && echo "$c"; done; return 0; }
rss() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status 2>/dev/null || echo 0; }
echo "t_s pid1_rss_kib forwarder_rss_kib" >"$dir/rss.txt"

start=$(date +%s); kills=0; flaps=0; next_kill=$kill_every; next_flap=$flap; next_rss=0
while :; do
  t=$(( $(date +%s) - start ))
  [ "$t" -ge "$secs" ] && break
  if [ "$t" -ge "$next_rss" ]; then echo "$t $(rss "$steward") $(rss "$(forwarder)")" >>"$dir/rss.txt"; next_rss=$((t + 10)); fi
  if [ "$t" -ge "$next_kill" ]; then f=$(forwarder); [ -n "$f" ] && kill -9 "$f" && kills=$((kills+1)); next_kill=$((t + kill_every)); fi
  if [ "$t" -ge "$next_flap" ]; then rsl_stop; sleep 10; rsl_start; flaps=$((flaps+1)); next_flap=$(( $(date +%s) - start + flap )); fi
  sleep 1
done
echo "$(( $(date +%s) - start )) $(rss "$steward") $(rss "$(forwarder)")" >>"$dir/rss.txt"

# Stop writing, let the last runs finish, then stop steward and let it drain.
touch "$dir/stop"
sleep 5
kill -TERM "$steward"
wait "$outer" || echo "steward exited with $?"
sleep 2; rsl_stop

trap - EXIT
fail=0
check() {  # sink-name file...
  local name=$1; shift
  for s in a b; do
    local runs; runs=$(cat "$dir/runs-$s")
    local want=$(( runs * lines ))
    local got; got=$(cat "$@" | { grep -o "\b$s-[0-9]*-[0-9]*\b" || true; } | sort -u | wc -l)
    local state=ok; [ "$got" -eq "$want" ] || { state=MISSING; fail=1; }
    echo "  $name: service $s: $runs runs, $want lines expected, $got distinct delivered: $state"
  done
  local max; max=$(cat "$dir/sys-max")
  local sgot; sgot=$(cat "$@" | { grep -o '\bs-[0-9]*\b' || true; } | sort -u | wc -l)
  local state=ok; [ "$sgot" -ge "$max" ] || { state=MISSING; fail=1; }
  echo "  $name: syslog: s-1..s-$max expected, $sgot distinct delivered: $state"
}
echo "soak: $kills forwarder kills, $flaps collector outages"
check console "$dir/console.json"
check files "$dir"/logs/*.log*
check central "$dir/rsl/syslog.log"
check vector "$dir/rsl/json.log"
first=$(awk 'NR>1 && $1>=60 {print $2; exit}' "$dir/rss.txt")
last=$(tail -1 "$dir/rss.txt" | awk '{print $2}')
echo "soak: PID 1 VmRSS after the first minute ${first:-?} KiB, at the end $last KiB (samples in $dir/rss.txt)"
if [ -n "$first" ] && [ "$last" -gt $(( first + 2048 )) ]; then echo "soak: PID 1 grew" >&2; fail=1; fi
echo "soak: forwarder VmRSS samples (KiB): $(awk 'NR>1 {printf "%s ", $3}' "$dir/rss.txt")"
if [ "$fail" -eq 0 ]; then echo "soak: PASSED"; rm -rf "$dir"; else echo "soak: FAILED; kept $dir" >&2; fi
exit "$fail"
