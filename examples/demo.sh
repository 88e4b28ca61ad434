#!/usr/bin/env bash
# The demo: builds steward, then runs it as PID 1 in a fresh PID namespace
# over examples/webapp: a database stand-in, a migration, an app worker, a
# web server and a daemon that logs through syslog(3). Watch them start in
# dependency order, their lines prefixed on the console (and copied into
# per-service files); after ~8 s the main program ends and steward stops
# them in reverse order. Ctrl-C stops early.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/deps.sh
steward_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target steward
state=$(mktemp -d)
export WEB_ROOT="$PWD/examples/webapp/www" STATE_DIR="$state" LOG_DIR="$state/logs"
echo "== steward as PID 1 over examples/webapp (logs also in $LOG_DIR) =="
# A private /dev (a tmpfs with the real device nodes bound into it), so that
# the /dev/log steward binds is the demo's own, never the machine's.
exec unshare --pid --fork --mount-proc --mount --propagation private sh -c '
  old=$(mktemp -d) && mount --rbind /dev "$old" && mount -t tmpfs -o mode=0755 tmpfs /dev
  for n in null zero full random urandom tty; do touch /dev/$n; mount --bind "$old/$n" /dev/$n; done
  mkdir /dev/pts /dev/shm && mount --rbind "$old/pts" /dev/pts && mount --rbind "$old/shm" /dev/shm
  ln -s /proc/self/fd /dev/fd && umount -l "$old"
  exec ./build/steward --services examples/webapp/services --config examples/webapp/steward.toml \
    --runtime-dir "$STATE_DIR" -- /bin/sh -c "busybox wget -q -O - http://127.0.0.1:\${WEB_PORT:-18080}/ | head -3; sleep 6; echo main: done"'
