#!/usr/bin/env bash
# Runs every libFuzzer target from its committed seed corpus for a fixed
# time and fails on the first crash, leak, timeout or sanitizer report
# (docs/FUZZING.md). New inputs go to a scratch directory, never into the
# committed corpus.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]    (default 20)
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]}
secs=${2:-20}
src=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/steward-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
status=0
printf '%-14s %10s %6s %6s %s\n' target execs cov ft result
for corpus in "$src"/corpus/*/; do
  t=$(basename "$corpus")
  bin="$build/tests/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "missing fuzz target $bin" >&2; exit 1; }
  mkdir -p "$scratch/$t" "$scratch/$t.art"
  log="$scratch/$t.log"
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$scratch/$t.art/" "$scratch/$t" "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  done_line=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  printf '%-14s %10s %6s %6s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2 || true
    for a in "$scratch/$t.art"/*; do
      [ -e "$a" ] || continue
      mkdir -p "$build/fuzz-artifacts"
      cp "$a" "$build/fuzz-artifacts/"
      echo "reproduce: $bin $build/fuzz-artifacts/$(basename "$a")" >&2
    done
  fi
done
exit $status
