#!/bin/sh
# A stand-in application for the Dockerfile examples: logs a line a second
# and, like a well-behaved server, finishes cleanly when asked to stop.
# steward forwards `docker stop`'s SIGTERM to it and exits with its status.
trap 'echo "app: SIGTERM received, shutting down cleanly"; exit 0' TERM
echo "app: started (pid $$, APP_ENV=${APP_ENV:-unset})"
i=0
while :; do
  i=$((i + 1))
  echo "app: tick $i"
  sleep 1 &
  wait $!
done
