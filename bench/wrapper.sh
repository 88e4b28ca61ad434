#!/usr/bin/env bash
# bench/wrapper.sh — steward in wrapper mode against tini-static, tini,
# dumb-init and catatonit, side by side in one run. Run on purpose, as root;
# not part of CI. Results: docs/BENCHMARKS.md.
#
#   (a) overhead: N sequential runs of `INIT -- /bin/true` (and bare
#       /bin/true), interleaved in rounds, on the host and inside a fresh PID
#       namespace (`unshare --pid --fork --mount-proc INIT -- /bin/true`);
#   (b) RSS of the idle init (PID 1 of a namespace, child sleeping);
#   (c) static binary size, and what each part of steward costs;
#   (d) idle wake-ups: context switches of the init over IDLE seconds;
#   (e) instructions executed by `INIT -- /bin/true` (valgrind's callgrind:
#       the same count every run, whatever the machine's load).
#
# Environment: N (2000) NS_N (1000) BATCH (50) IDLE (10) REPEAT (3)
#              RESULTS_DIR (keep the raw benchtool output there)
#              STEWARD (a prebuilt binary; default: build from this tree)
#              STEWARD_REF (build that commit, e.g. HEAD, from `git archive`)
#              STEWARD_BUILD_DIR (/tmp/steward-bench-build; with STEWARD_REF,
#              /tmp/steward-bench-COMMIT holding src/ and build/)
#              STEWARD_BASE (a second steward binary, e.g. the commit before
#              a change: measured as "steward-base" in the same run)
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

N=${N:-2000}
NS_N=${NS_N:-1000}
BATCH=${BATCH:-50}
IDLE=${IDLE:-10}
REPEAT=${REPEAT:-3}

bench_init
need tini-static tini
need tini tini
need dumb-init dumb-init
need catatonit catatonit
need valgrind valgrind
build_steward
build_benchtool

LABELS=(steward tini-static tini dumb-init catatonit)
if [ -n "${STEWARD_BASE:-}" ]; then
  [ -x "$STEWARD_BASE" ] || { echo "$0: STEWARD_BASE=$STEWARD_BASE is not an executable" >&2; exit 2; }
  LABELS=(steward steward-base tini-static tini dumb-init catatonit)
fi
# init_cmd LABEL: the init's argv (PROGRAM follows after --) in CMD
init_cmd() {
  case $1 in
    steward) CMD=("$STEWARD" --services /nonexistent --config "") ;;
    steward-base) CMD=("$STEWARD_BASE" --services /nonexistent --config "") ;;
    *) CMD=("$(command -v "$1")") ;;
  esac
}

echo "== steward wrapper-mode benchmark"
machine_info
echo

# ---------------------------------------------------------------- (a)
# overhead ROUNDS PREFIX...: prints benchtool loop lines
overhead() {
  local rounds=$1
  shift
  local args=() l
  for l in "${LABELS[@]}"; do
    init_cmd "$l"
    args+=("$l" "$@" "${CMD[@]}" -- /bin/true ::)
  done
  args+=(/bin/true "$@" /bin/true)
  "$BENCHTOOL" loop "$rounds" "$BATCH" "${args[@]}"
}

overhead_table() { # FILE TITLE
  local f=$1
  echo "$2"
  awk -v ref=tini-static '
    {lab[NR]=$1; n[NR]=$2; tot[NR]=$3; med[NR]=$5; p10[NR]=$6; p90[NR]=$7; fail[NR]=$9; cpu[NR]=$10
     if ($1 == ref) {rmed=$5; rp10=$6; rcpu=$10}
     if ($1 == "/bin/true") {bcpu=$10}}
    END {
      printf "| %-11s | %5s | %7s | %8s | %8s | %8s | %9s | %9s | %7s | %9s | %8s |\n", "init", "runs",
        "total s", "median", "p10", "p90", "med/tini-s", "p10/tini-s", "CPU", "CPU/tini-s", "CPU added"
      printf "|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "-------------", "------:", "--------:", "---------:",
        "---------:", "---------:", "-----------:", "-----------:", "--------:", "-----------:", "----------:"
      for (i=1; i<=NR; i++)
        printf "| %-11s | %5d | %7.2f | %5.0f us | %5.0f us | %5.0f us | %9.3fx | %9.3fx | %4.0f us | %9.3fx | %8s |%s\n",
          lab[i], n[i], tot[i], med[i], p10[i], p90[i], med[i]/rmed, p10[i]/rp10, cpu[i], cpu[i]/rcpu,
          (lab[i] == "/bin/true" ? "-" : sprintf("%.0f us", cpu[i]-bcpu)),
          (fail[i] ? " FAILURES: " fail[i] : "")
    }' "$f"
  echo "(wall time per run from spawn to exit: median, 10th and 90th percentile; CPU: median user+system"
  echo " time of the run, init and /bin/true together, from wait4(); CPU added: minus bare /bin/true's)"
  echo
}

echo "== (a) overhead: $N runs of INIT -- /bin/true on the host, interleaved in batches of $BATCH"
overhead $((N / BATCH)) >"$T/overhead-host.txt"
echo "== (a) overhead: $NS_N runs inside a fresh PID namespace (unshare --pid --fork --mount-proc)"
overhead $((NS_N / BATCH)) "${NS[@]}" >"$T/overhead-ns.txt"

# ------------------------------------------------------- (b) and (d)
# All inits idle at the same time (each in its own namespace, child asleep);
# each measurement only reads its own init's counters.
echo "== (b)+(d) idle RSS and wake-ups over ${IDLE}s, $REPEAT times (all inits side by side)"
for r in $(seq "$REPEAT"); do
  BG_PIDS=()
  for l in "${LABELS[@]}"; do
    init_cmd "$l"
    "$BENCHTOOL" sup --expect 1 --comm sleep --settle 1 --idle "$IDLE" --out "$T/idle-$l-$r.log" \
      -- "${NS[@]}" "${CMD[@]}" -- sleep 100000 >"$T/idle-$l-$r.txt" &
    BG_PIDS+=($!)
  done
  for p in "${BG_PIDS[@]}"; do wait "$p"; done
  BG_PIDS=()
done
idle_med() { # LABEL KEY
  local r
  for r in $(seq "$REPEAT"); do kv "$2" "$T/idle-$1-$r.txt"; done | median
}

# ---------------------------------------------------------------- (e)
echo "== (e) instructions (callgrind)"
for l in "${LABELS[@]}"; do
  init_cmd "$l"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "${CMD[@]}" -- /bin/true 2>&1 |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' | head -n 1 >"$T/instr-$l.txt"
done

# ---------------------------------------------------------------- (c)
echo "== (c) binary sizes"
# shellcheck disable=SC2054 # -Wl,... are single arguments
SIZE_BASE=(-std=c++17 -Os -DNDEBUG -ffunction-sections -fdata-sections -Wl,--gc-sections
  -static -flto=auto -Wl,--build-id=none)
SIZE_FLAGS=("${SIZE_BASE[@]}" -s)
TOML_FLAGS=(-DTOML_EXCEPTIONS=1 -DTOML_ENABLE_FORMATTERS=0)
FMT_FLAGS=(-DFMT_HEADER_ONLY=1 -DFMT_STATIC_THOUSANDS_SEPARATOR=1)
LIBEV=$(g++ -print-file-name=libev.a)
mkdir -p "$T/size"
cat >"$T/size/empty.cpp" <<'EOF'
int main() { return 0; }
EOF
cat >"$T/size/libev.cpp" <<'EOF'
#include <ev.h>
#include <csignal>
static void on_sig(struct ev_loop* l, ev_signal*, int) { ev_break(l, EVBREAK_ALL); }
static void on_child(struct ev_loop*, ev_child*, int) {}
int main() {
  struct ev_loop* loop = ev_default_loop(EVFLAG_SIGNALFD);
  ev_signal s; ev_signal_init(&s, on_sig, SIGTERM); ev_signal_start(loop, &s);
  ev_child c; ev_child_init(&c, on_child, 0, 0); ev_child_start(loop, &c);
  ev_timer t; ev_timer_init(&t, [](struct ev_loop*, ev_timer*, int) {}, 1., 0.); ev_timer_start(loop, &t);
  ev_run(loop, EVRUN_NOWAIT);
  return 0;
}
EOF
cat >"$T/size/fmt.cpp" <<'EOF'
#include <fmt/format.h>
#include <cstdio>
#include <string>
int main(int argc, char** argv) {
  std::string s = fmt::format("steward: {}: {} {} {}\n", argv[0], argc, argc * 1.5, std::string(argv[0]));
  fputs(s.c_str(), stderr);
  return 0;
}
EOF
cat >"$T/size/toml.cpp" <<'EOF'
#include <toml++/toml.h>
#include <cstdio>
#include <string>
int main(int argc, char** argv) {
  try {
    toml::table t = toml::parse(std::string_view(argc > 1 ? argv[1] : "a = 1.5"), std::string_view("x.toml"));
    if (auto v = t["a"].value<double>()) return int(*v);
  } catch (const toml::parse_error& e) {
    fputs(std::string(e.description()).c_str(), stderr);
    return 1;
  }
  return 0;
}
EOF
{
  echo '#define main main_ev'; cat "$T/size/libev.cpp"; echo '#undef main'
  echo '#define main main_fmt'; cat "$T/size/fmt.cpp"; echo '#undef main'
  echo '#define main main_toml'; cat "$T/size/toml.cpp"; echo '#undef main'
  echo 'int main(int argc, char** argv) { return main_ev() + main_fmt(argc, argv) + main_toml(argc, argv); }'
} >"$T/size/all.cpp"
build_size() { # NAME SRC FLAGS...
  local name=$1 src=$2
  shift 2
  g++ "${SIZE_FLAGS[@]}" -o "$T/size/$name" "$T/size/$src" "$@" 2>"$T/size/$name.err" &&
    stat -c %s "$T/size/$name" || echo "build-failed"
}
SZ_EMPTY=$(build_size empty empty.cpp)
SZ_EV=$(build_size libev libev.cpp "$LIBEV")
SZ_FMT=$(build_size fmt fmt.cpp "${FMT_FLAGS[@]}")
SZ_TOML=$(build_size toml toml.cpp "${TOML_FLAGS[@]}" -DTOML_FLOAT_CHARCONV=1)
SZ_TOML_SS=$(build_size toml-sstream toml.cpp "${TOML_FLAGS[@]}")
SZ_ALL=$(build_size all all.cpp "${FMT_FLAGS[@]}" "${TOML_FLAGS[@]}" -DTOML_FLOAT_CHARCONV=1 "$LIBEV")
SZ_STEWARD=$(stat -c %s "$STEWARD")

# Attribute the symbols of an unstripped relink of steward to their origin;
# C/C++ runtime symbols that an empty static main also has are the baseline,
# the others are what steward's own calls pull in from glibc/libstdc++.
ATTRIB=""
if [ -n "$STEWARD_BUILD" ] && [ -f "$STEWARD_BUILD/CMakeFiles/steward.dir/link.txt" ]; then
  link=$(sed -e 's/ -s / /' -e "s| -o steward | -o $T/steward.unstripped |" \
    "$STEWARD_BUILD/CMakeFiles/steward.dir/link.txt")
  if (cd "$STEWARD_BUILD" && eval "$link") 2>"$T/relink.err" &&
    g++ "${SIZE_BASE[@]}" -o "$T/size/empty.unstripped" "$T/size/empty.cpp" 2>>"$T/relink.err"; then
    nm --defined-only "$LIBEV" 2>/dev/null | awk 'NF == 3 && $3 !~ /^\./ {print $3}' | sort -u >"$T/libev.syms"
    nm -C --defined-only "$T/size/empty.unstripped" | awk '{$1=""; $2=""; sub(/^  /, ""); print}' |
      sort -u >"$T/empty.syms"
    # sizes of code and data symbols (not .bss: it takes no room in the file),
    # each address counted once (glibc has many aliases)
    nm -S -t d --size-sort -C "$T/steward.unstripped" | awk '$3 !~ /^[bBuU]$/' |
      awk -v evf="$T/libev.syms" -v basef="$T/empty.syms" -v pulled="$T/pulled.txt" '
        BEGIN {while ((getline s < evf) > 0) ev[s]=1; while ((getline s < basef) > 0) base0[s]=1}
        seen[$1]++ {next}
        {size=$2+0; name=$0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
         base=name; sub(/ \[clone .*$/, "", base); sub(/\.(lto_priv|constprop|isra|part|cold)[.0-9a-z_]*$/, "", base)
         if (name ~ /steward::/ || name == "main") c="steward (own code, incl. templates it instantiates)"
         else if (name ~ /toml::/) c="toml++"
         else if (name ~ /fmt::/) c="fmt"
         else if (base in ev) c="libev"
         else if (name in base0) c="C/C++ runtime baseline (also in an empty static main)"
         else {c="glibc/libstdc++ code pulled in by the above"; print size "\t" name > pulled}
         sum[c]+=size; all+=size}
        END {for (c in sum) printf "%s\t%d\n", c, sum[c]; printf "TOTAL\t%d\n", all}' \
        >"$T/attrib.txt"
    ATTRIB=$T/attrib.txt
  fi
fi

if [ -n "${RESULTS_DIR:-}" ]; then
  mkdir -p "$RESULTS_DIR"
  cp "$T"/overhead-*.txt "$T"/idle-*.txt "$RESULTS_DIR"/
fi

# ------------------------------------------------------------- report
echo
echo "================================================================ summary"
machine_info | sed -n '1,3p'
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
echo
overhead_table "$T/overhead-host.txt" "(a) wrapper overhead on the host, $N runs each (target, issue 13: steward <= 1.00x tini-static, wall and CPU)"
overhead_table "$T/overhead-ns.txt" "(a) wrapper overhead in a fresh PID namespace, $NS_N runs each (includes unshare + mount /proc)"

echo "(b) RSS of the idle init, PID 1 of its own namespace, child sleeping; median of $REPEAT (target: steward <= 1.0 MiB)"
echo "(d) idle wake-ups of the init over ${IDLE}s, median of $REPEAT (target: steward 0)"
printf "| %-11s | %8s | %9s | %9s | %10s | %13s | %15s | %12s |\n" init "RSS KiB" "anon KiB" "file KiB" \
  "RSS/tini-s" "voluntary cs" "nonvoluntary cs" "stop ms"
echo "|-------------|---------:|----------:|----------:|-----------:|--------------:|----------------:|-------------:|"
REF_RSS=$(idle_med tini-static init_rss_kb)
for l in "${LABELS[@]}"; do
  rss=$(idle_med "$l" init_rss_kb)
  printf "| %-11s | %8s | %9s | %9s | %9sx | %13s | %15s | %12s |\n" "$l" "$rss" \
    "$(idle_med "$l" init_rss_anon_kb)" "$(idle_med "$l" init_rss_file_kb)" "$(ratio "$rss" "$REF_RSS")" \
    "$(idle_med "$l" init_wake_vol)" "$(idle_med "$l" init_wake_nonvol)" "$(idle_med "$l" stop_init_ms)"
done
echo "(stop ms: SIGTERM to the init until it exited, the sleeping child forwarded the signal and died)"
echo

echo "(e) instructions executed by INIT -- /bin/true, init process only (valgrind --tool=callgrind, which does not follow the exec'd child)"
printf "| %-11s | %12s | %10s |\n" init instructions "/tini-s"
echo "|-------------|-------------:|-----------:|"
REF_INSTR=$(cat "$T/instr-tini-static.txt")
for l in "${LABELS[@]}"; do
  i=$(cat "$T/instr-$l.txt")
  printf "| %-11s | %12s | %9sx |\n" "$l" "$i" "$(ratio "$i" "$REF_INSTR")"
done
echo

echo "(c) binary size (target: steward < 2 MiB stripped static; tini-static 708,080 bytes)"
printf "| %-58s | %9s | %10s |\n" binary bytes "vs empty"
echo "|------------------------------------------------------------|----------:|-----------:|"
for l in "${LABELS[@]}"; do
  init_cmd "$l"
  f=$(readlink -f "${CMD[0]}")
  kind=$(file -b "$f" | grep -o 'statically linked\|dynamically linked' || true)
  printf "| %-58s | %9s | %10s |\n" "$l ($kind)" "$(stat -c %s "$f")" ""
done
sz_row() { printf "| %-58s | %9s | %10s |\n" "$1" "$2" "$( [ "$2" = build-failed ] && echo - || echo "+$(($2 - SZ_EMPTY))")"; }
sz_row "empty C++ main (static glibc + libstdc++ start-up)" "$SZ_EMPTY"
sz_row "+ libev loop, signal, child, timer watchers" "$SZ_EV"
sz_row "+ fmt::format (header-only, static thousands separator)" "$SZ_FMT"
sz_row "+ toml++ parse, TOML_FLOAT_CHARCONV=1 (as steward)" "$SZ_TOML"
sz_row "+ toml++ parse, default float parsing (std::stringstream)" "$SZ_TOML_SS"
sz_row "libev + fmt + toml++ (charconv) together" "$SZ_ALL"
sz_row "steward" "$SZ_STEWARD"
echo "(all built with steward's flags: -Os -flto -ffunction-sections -fdata-sections -Wl,--gc-sections -static -s)"
if [ -n "$ATTRIB" ]; then
  echo
  echo "steward's symbols by origin (unstripped relink; code + initialised data, not .bss):"
  total=$(awk -F'\t' '$1 == "TOTAL" {print $2}' "$ATTRIB")
  printf "| %-54s | %9s | %6s |\n" origin bytes share
  echo "|--------------------------------------------------------|----------:|-------:|"
  awk -F'\t' -v tot="$total" '$1 != "TOTAL" {printf "| %-54s | %9d | %5.1f%% |\n", $1, $2, 100*$2/tot}' "$ATTRIB" |
    sort -t'|' -k3 -rn
  printf "| %-54s | %9d | %6s |\n" "sum of sized symbols" "$total" ""
  printf "| %-54s | %9d | %6s |\n" "rest: .eh_frame, unnamed string literals, ELF headers" "$((SZ_STEWARD - total))" ""
  echo
  echo "largest runtime pieces steward pulls in beyond an empty main (bytes, symbol):"
  sort -rn "$T/pulled.txt" | awk 'NR <= 20' | awk -F'\t' '{n=$2; if (length(n) > 90) n=substr(n, 1, 87) "..."; printf "  %7d  %s\n", $1, n}'
fi
