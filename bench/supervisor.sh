#!/usr/bin/env bash
# bench/supervisor.sh — steward supervising 20 services against supervisord,
# runit (runsvdir) and s6 (s6-svscan), side by side in one run, each as PID 1
# of its own PID namespace. Run on purpose, as root; not part of CI.
# Results: docs/BENCHMARKS.md.
#
# The services: LEVELS levels of WIDTH services; every service of level n
# depends on every service of level n-1 (steward: depends_on; supervisord:
# priority = 100*n, the closest it has; runit and s6 have no ordering). Each
# is `sleep 1LLLWWW` (L level, W index, 3 digits each, so the measurements can tell them
# apart), which dies at once on SIGTERM.
#
# Measured, REPEAT times (interleaved), medians reported:
#   start    from the init's exec to the exec of the last service
#   RSS      of the init (PID 1), and of every supervision process (all
#            processes of the namespace that are not services)
#   wake-ups context switches of the init / all supervision processes over
#            IDLE seconds with everything up
#   stop     from the stop signal to the last service's exit and to the
#            init's exit (= the namespace is gone); how each service died;
#            whether the start and stop respected the dependency levels
# Every fork, exec and exit is taken from the kernel's process-events
# connector (bench/benchtool_sup.c), so nothing polls.
#
# Environment: REPEAT (5) IDLE (10) SETTLE (2) LEVELS (4) WIDTH (5)
#              RESULTS_DIR (keep every run's raw benchtool output there)
#              STEWARD, STEWARD_REF, STEWARD_BUILD_DIR (see bench/wrapper.sh)
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

REPEAT=${REPEAT:-5}
IDLE=${IDLE:-10}
SETTLE=${SETTLE:-2}
LEVELS=${LEVELS:-4}
WIDTH=${WIDTH:-5}
NSVC=$((LEVELS * WIDTH))

bench_init
need supervisord supervisor
need runsvdir runit
need s6-svscan s6
build_steward
build_benchtool

VARIANTS=(steward supervisord runit-hup runit-sv s6)
describe() {
  case $1 in
    steward) echo "depends_on; SIGTERM to steward" ;;
    supervisord) echo "supervisord -n, priority = 100*level; SIGTERM to supervisord" ;;
    runit-hup) echo "runsvdir -P: no ordering; SIGHUP to runsvdir (documented: TERM to each runsv, then exit 111)" ;;
    runit-sv) echo "runsvdir -P: no ordering; 'sv -w 30 down' on all 20 (as runit's stage 3 does), then SIGHUP" ;;
    s6) echo "s6-svscan: no ordering; SIGTERM to s6-svscan (= s6-svscanctl -t)" ;;
  esac
}

# make_config VARIANT DIR: writes the 20 services for VARIANT under DIR
make_config() {
  local v=$1 d=$2 l i name arg deps j
  mkdir -p "$d"
  case $v in
    steward) mkdir -p "$d/svc" "$d/rt" ;;
    supervisord)
      mkdir -p "$d/logs"
      cat >"$d/supervisord.conf" <<EOF
[supervisord]
nodaemon=true
user=root
logfile=$d/supervisord.log
pidfile=$d/supervisord.pid
childlogdir=$d/logs
EOF
      ;;
  esac
  for l in $(seq "$LEVELS"); do
    for i in $(seq "$WIDTH"); do
      name=l${l}s${i}
      arg=$((1000000 + l * 1000 + i))  # level and index apart for any WIDTH < 1000
      case $v in
        steward)
          deps=""
          if [ "$l" -gt 1 ]; then
            for j in $(seq "$WIDTH"); do deps="$deps${deps:+, }\"l$((l - 1))s$j\""; done
          fi
          printf 'command = ["sleep", "%s"]\ndepends_on = [%s]\n' "$arg" "$deps" >"$d/svc/$name.toml"
          ;;
        supervisord)
          printf '\n[program:%s]\ncommand=sleep %s\npriority=%d\n' "$name" "$arg" $((100 * l)) \
            >>"$d/supervisord.conf"
          ;;
        runit-hup | runit-sv | s6)
          mkdir -p "$d/sv/$name"
          printf '#!/bin/sh\nexec sleep %s\n' "$arg" >"$d/sv/$name/run"
          chmod +x "$d/sv/$name/run"
          ;;
      esac
    done
  done
  # As in an image, the directories are older than the start: runsvdir does
  # not scan a directory modified within the current second (it would wait
  # a second here, an artefact of creating the files just before the run).
  find "$d" -exec touch -d "@$(($(date +%s) - 10))" {} +
}

# run_variant VARIANT REP: one measurement, results in $T/res-VARIANT-REP.txt
run_variant() {
  local v=$1 r=$2 d=$T/run-$1-$2 idle=$IDLE sig=15 stop=() cmd=()
  make_config "$v" "$d"
  case $v in
    steward) cmd=("$STEWARD" --services "$d/svc" --config "" --runtime-dir "$d/rt") ;;
    supervisord) cmd=(supervisord -n -c "$d/supervisord.conf") ;;
    runit-hup) cmd=(runsvdir -P "$d/sv") sig=1 ;;
    runit-sv) cmd=(runsvdir -P "$d/sv") sig=1 stop=(--stop-cmd "sv -w 30 down $d/sv/*") idle=0 ;;
    s6) cmd=(s6-svscan "$d/sv") ;;
  esac
  if ! "$BENCHTOOL" sup --expect "$NSVC" --comm sleep --settle "$SETTLE" --idle "$idle" --signal "$sig" \
    "${stop[@]}" --out "$d/output.log" -- "${NS[@]}" "${cmd[@]}" >"$T/res-$v-$r.txt"; then
    echo "$v: measurement $r failed; output of the init:" >&2
    tail -20 "$d/output.log" >&2
    exit 1
  fi
}

# ordered FILE start|stop: "yes" when the levels were respected
ordered() {
  awk -v what="$2" -v w="$WIDTH" '
    $1 == "svc" {lvl = int(($2 - 1000000) / 1000); t = (what == "start" ? $3 : $4)
      if (!(lvl in mn) || t < mn[lvl]) mn[lvl] = t
      if (!(lvl in mx) || t > mx[lvl]) mx[lvl] = t
      if (lvl > top) top = lvl}
    END {ok = "yes"
      for (l = 2; l <= top; l++) {
        if (what == "start" && mn[l] < mx[l-1]) ok = "no"
        if (what == "stop" && mn[l-1] < mx[l]) ok = "no"}
      print ok}' "$1"
}

echo "== steward supervisor benchmark: $NSVC services ($LEVELS levels x $WIDTH), $REPEAT runs each"
machine_info
for v in "${VARIANTS[@]}"; do echo "   $v: $(describe "$v")"; done
echo
for r in $(seq "$REPEAT"); do
  n=${#VARIANTS[@]}
  for k in $(seq 0 $((n - 1))); do
    v=${VARIANTS[$(((k + r - 1) % n))]}
    echo "run $r/$REPEAT: $v" >&2
    run_variant "$v" "$r"
  done
done

if [ -n "${RESULTS_DIR:-}" ]; then
  mkdir -p "$RESULTS_DIR"
  cp "$T"/res-*.txt "$RESULTS_DIR"/
fi

med() { # VARIANT KEY
  local r
  for r in $(seq "$REPEAT"); do kv "$2" "$T/res-$1-$r.txt"; done | median
}
rng() { # VARIANT KEY: min-max over the runs
  local r
  for r in $(seq "$REPEAT"); do kv "$2" "$T/res-$1-$r.txt"; done | sort -g |
    awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.1f-%.1f", lo, hi}'
}
med_sum() { # VARIANT KEY1 KEY2
  local r
  for r in $(seq "$REPEAT"); do
    echo $(($(kv "$2" "$T/res-$1-$r.txt") + $(kv "$3" "$T/res-$1-$r.txt")))
  done | median
}
count_yes() { # VARIANT start|stop
  local r y=0
  for r in $(seq "$REPEAT"); do [ "$(ordered "$T/res-$1-$r.txt" "$2")" = yes ] && y=$((y + 1)); done
  echo "$y/$REPEAT"
}

echo
echo "================================================================ summary"
machine_info | sed -n '1,3p'
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
echo "$NSVC services, $LEVELS levels x $WIDTH, level n depends on all of level n-1; medians of $REPEAT runs"
echo
echo "Stop (targets: steward <= 50 ms and <= 1/100 of supervisord's)"
printf "| %-11s | %14s | %12s | %15s | %10s | %10s | %12s |\n" supervisor "services gone" "init exited" \
  "(min-max) ms" "vs steward" "by SIGTERM" "stop ordered"
echo "|-------------|---------------:|-------------:|----------------:|-----------:|-----------:|-------------:|"
ST=$(med steward stop_init_ms)
for v in "${VARIANTS[@]}"; do
  s=$(med "$v" stop_init_ms)
  printf "| %-11s | %11.1f ms | %9.1f ms | %15s | %9sx | %10s | %12s |\n" "$v" "$(med "$v" stop_services_ms)" \
    "$s" "$(rng "$v" stop_init_ms)" "$(ratio "$s" "$ST")" "$(med "$v" services_by_sigterm)/$NSVC" \
    "$(count_yes "$v" stop)"
done
echo "(from the stop signal, or the start of 'sv -w 30 down' for runit-sv; 'by SIGTERM': services that"
echo " died of the stop signal, the others were SIGKILLed when PID 1 exited and the kernel emptied the namespace)"
echo
echo "Start, memory and idle wake-ups (targets: steward PID-1 RSS <= 1.5 MiB, 0 wake-ups)"
printf "| %-11s | %11s | %13s | %13s | %12s | %15s | %15s | %5s | %13s | %11s |\n" supervisor "all started" \
  "(min-max) ms" "start ordered" "PID-1 RSS" "supervision RSS" "supervision PSS" "procs" "PID-1 wakeups" \
  "all wakeups"
echo "|-------------|------------:|--------------:|--------------:|-------------:|----------------:|----------------:|------:|--------------:|------------:|"
for v in "${VARIANTS[@]}"; do
  [ "$v" = runit-sv ] && continue # same processes as runit-hup; only its stop differs
  printf "| %-11s | %8.1f ms | %13s | %13s | %8s KiB | %11s KiB | %11s KiB | %5s | %13s | %11s |\n" "$v" \
    "$(med "$v" start_ms)" "$(rng "$v" start_ms)" "$(count_yes "$v" start)" "$(med "$v" init_rss_kb)" \
    "$(med "$v" sup_rss_kb)" "$(med "$v" sup_pss_kb)" "$(med "$v" sup_procs)" \
    "$(med_sum "$v" init_wake_vol init_wake_nonvol)" "$(med_sum "$v" sup_wake_vol sup_wake_nonvol)"
done
echo "(all started: from the init's exec to the exec of the last of the $NSVC services; RSS: VmRSS;"
echo " supervision: every process of the namespace that is not a service (runsv, s6-supervise, ...);"
echo " PSS: proportional set size, pages shared between those processes counted once in the sum;"
echo " wake-ups: voluntary + nonvoluntary context switches in ${IDLE}s idle)"
