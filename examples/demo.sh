#!/usr/bin/env bash
# The demo: builds steward, then runs it as PID 1 in a fresh PID namespace
# over examples/webapp (a database stand-in, a migration, an app worker and a
# web server). Watch them start in dependency order; after ~8 s the main
# program ends and steward stops them in reverse order. Ctrl-C stops early.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/deps.sh
steward_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target steward
export WEB_ROOT="$PWD/examples/webapp/www" STATE_DIR="$(mktemp -d)"
echo "== steward as PID 1 over examples/webapp/services =="
exec unshare --pid --fork --mount-proc ./build/steward \
  --services examples/webapp/services --config "" --runtime-dir "$STATE_DIR" -- \
  /bin/sh -c 'busybox wget -q -O - http://127.0.0.1:${WEB_PORT:-18080}/ | head -3; sleep 6; echo "main: done"'
