# The cases of docker_test.sh (sourced; its helpers are in scope).

case_dockerfiles() {
  step "context (packaging/docker/make-context.sh)"
  local deb_arg=(--no-deb)
  [ "${STEWARD_TEST_DEBOOTSTRAP:-0}" != 1 ] || deb_arg=()
  "$src/packaging/docker/make-context.sh" "$work/ctx" --binary "$steward" "${deb_arg[@]}" >/dev/null
  local ctx=$work/ctx

  step "Dockerfile.scratch: examples/webapp, HEALTHCHECK, docker stop"
  build "$tag-scratch" "$ctx/Dockerfile.scratch" "$ctx"
  run_d "$tag-scratch" --health-interval 1s "$tag-scratch"
  web() { docker exec "$tag-scratch" /bin/busybox wget -q -O - "http://127.0.0.1:18080/"; }
  wait_for 60 web || { docker logs "$tag-scratch" 2>&1 | tail -n 30; fail "the webapp never served its page"; }
  wait_for 60 sh -c "[ \"\$(docker inspect $tag-scratch --format '{{.State.Health.Status}}')\" = healthy ]" ||
    { docker inspect "$tag-scratch" --format '{{json .State.Health}}'; fail "never healthy"; }
  echo "  health: $(health "$tag-scratch")"
  docker exec "$tag-scratch" /usr/sbin/steward ctl status | sed 's/^/  /'
  stop_and_check "$tag-scratch"
  grep -q "migration done" "$work/$tag-scratch.log" || fail "the migrate oneshot's output is not in docker logs"

  step "Dockerfile.layered: wrapper mode, SIGTERM to the app, exit codes"
  build "$tag-layered" "$ctx/Dockerfile.layered" "$ctx"
  run_d "$tag-layered" "$tag-layered"
  wait_for 30 logs_have "$tag-layered" "app: tick 1" || { docker logs "$tag-layered"; fail "the app did not start"; }
  stop_and_check "$tag-layered"
  grep -q "SIGTERM received" "$work/$tag-layered.log" || fail "SIGTERM was not forwarded to the app"
  local rc=0
  docker run --rm --network none "$tag-layered" /bin/sh -c 'exit 3' >/dev/null 2>&1 || rc=$?
  [ "$rc" = 3 ] || fail "docker run IMAGE sh -c 'exit 3' exited $rc, expected 3"
  echo "  docker run IMAGE sh -c 'exit 3': 3"

  if [ "${STEWARD_TEST_DEBOOTSTRAP:-0}" != 1 ]; then
    echo "Dockerfile.debian and Dockerfile.services not run: set STEWARD_TEST_DEBOOTSTRAP=1" \
         "(debootstrap of a bookworm base image, a minute or two, ~80 MB)"
    return 0
  fi
  step "base image (make-base.sh, then podman save | docker load)"
  "$src/packaging/docker/make-base.sh"
  podman save docker.io/library/debian:bookworm-slim | docker load -q

  step "Dockerfile.debian"
  build "$tag-debian" "$ctx/Dockerfile.debian" "$ctx"
  run_d "$tag-debian" "$tag-debian"
  wait_for 30 logs_have "$tag-debian" "app: tick 1" || { docker logs "$tag-debian"; fail "the app did not start"; }
  stop_and_check "$tag-debian"

  step "Dockerfile.services (the .deb installed with dpkg -i)"
  build "$tag-services" "$ctx/Dockerfile.services" "$ctx"
  run_d "$tag-services" --health-interval 1s "$tag-services"
  wait_for 60 sh -c "[ \"\$(docker inspect $tag-services --format '{{.State.Health.Status}}')\" = healthy ]" ||
    { docker logs "$tag-services" 2>&1 | tail -n 30; fail "never healthy"; }
  stop_and_check "$tag-services"
}

case_health() {
  chain
  bare_image "$tag"
  run_d "$tag" "$tag"
  step "healthy once db, app and web are up and ready"
  wait_for 60 sh -c "[ \"\$(docker inspect $tag --format '{{.State.Health.Status}}')\" = healthy ]" ||
    { docker logs "$tag"; docker inspect "$tag" --format '{{json .State.Health}}'; fail "never healthy"; }
  docker exec "$tag" /usr/sbin/steward ctl health | sed 's/^/  /'
  docker exec "$tag" /bin/ls -ld /run/steward | grep "^d" >/dev/null || fail "no /run/steward in the container"
  echo "  /run/steward made in a FROM scratch image without /run"
  step "unhealthy when app fails its healthcheck"
  docker exec "$tag" /bin/touch /sick
  wait_for 60 sh -c "[ \"\$(docker inspect $tag --format '{{.State.Health.Status}}')\" = unhealthy ]" ||
    { docker inspect "$tag" --format '{{json .State.Health}}'; fail "never unhealthy"; }
  local out rc=0
  out=$(docker exec "$tag" /usr/sbin/steward ctl health 2>&1) || rc=$?
  echo "  ctl health: exit $rc: $out"
  [ "$rc" = 1 ] && grep -q "app: unhealthy" <<<"$out" || fail "ctl health said ($rc) '$out'"
  docker inspect "$tag" --format '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}' | tail -n 2 | sed 's/^/  log: /'
  step "healthy again when it recovers"
  docker exec "$tag" /bin/rm /sick
  wait_for 60 sh -c "[ \"\$(docker inspect $tag --format '{{.State.Health.Status}}')\" = healthy ]" ||
    fail "never healthy again"
  echo "  health: $(health "$tag")"
}

case_stop() {
  chain
  bare_image "$tag"
  run_d "$tag" "$tag"
  wait_for 60 logs_have "$tag" "web: up" || { docker logs "$tag"; fail "web never came up"; }
  stop_and_check "$tag"
  check_order "$work/$tag.log"
}

# Issue 19.2: a collector that is down (nothing listens: --network none)
# with shutdown_timeout = "20s": docker stop ends long before its SIGKILL
# at 10 s, exit 0, the records kept in the sink's spool.
case_collectordown() {
  chain
  printf '%s\n' 'shutdown_timeout = "20s"' '[[log.sink]]' 'name = "central"' 'type = "syslog"' \
    'url = "tcp://127.0.0.1:6514"' >"$work/bare/etc/steward.toml"
  bare_image "$tag"
  run_d "$tag" "$tag"
  wait_for 60 logs_have "$tag" "web: up" || { docker logs "$tag"; fail "web never came up"; }
  wait_for 30 logs_have "$tag" "central: cannot connect" || { docker logs "$tag"; fail "no outage reported"; }
  stop_and_check "$tag" 4000  # the chain's ~1 s of work, not the 20 s
  grep -q "central: not waited for at shutdown" "$work/$tag.log" || fail "the sink's spool was not reported"
  ! grep -q "shutdown deadline reached" "$work/$tag.log" || fail "the drain waited for the collector"
}

# Issue 19.11: a service whose stop_grace_period (20 s) is longer than
# docker's 10 s, under the default shutdown_timeout (9 s): its grace is
# shortened, steward exits 0 before docker's SIGKILL.
case_budget() {
  mkdir -p "$work/bare/etc/services"
  printf '%s\n' 'command = "trap \"echo ignoring TERM\" TERM; echo stubborn: up; while :; do sleep 1; done"' \
    'stop_grace_period = "20s"' >"$work/bare/etc/services/stubborn.toml"
  bare_image "$tag"
  run_d "$tag" "$tag"
  wait_for 60 logs_have "$tag" "stubborn: up" || { docker logs "$tag"; fail "stubborn never came up"; }
  stop_and_check "$tag" 9800
  grep -q "stubborn: stop_grace_period of 20s shortened to" "$work/$tag.log" || fail "no warning"
}

# Drives `docker run -it` from a pseudo-terminal: script(1) gives docker a
# tty, the feeder writes keystrokes with pauses (a terminal user's pace).
pty_run() {  # pty_run FEEDER-SCRIPT DOCKER-ARGS... ; output in $work/pty.out
  local feeder=$1; shift
  local rc=0
  bash -c "$feeder" | script -qefc "docker run -it --rm --network none $*" "$work/pty.out" \
    >/dev/null 2>&1 || rc=$?
  tr -d '\r' <"$work/pty.out" | sed 's/^/  | /' | tail -n 15 >&2
  return $rc
}

case_tty() {
  mkdir -p "$work/bare/etc"
  bare_image "$tag" '["/usr/sbin/steward", "--"]'
  step "docker run -it IMAGE sh: job control in an interactive shell"
  local rc=0
  pty_run 'sleep 3; printf "sleep 30 &\n"; sleep 1; printf "jobs\n"; sleep 1;
           printf "kill %%1\n"; sleep 1; printf "jobs\n"; sleep 1; printf "exit 7\n"; sleep 2' \
    "$tag" /bin/sh -i || rc=$?
  [ "$rc" = 7 ] || fail "the shell's exit 7 came out as $rc"
  grep -q "\[1\] *+* *Running *sleep 30" <(tr -d '\r' <"$work/pty.out") || fail "jobs did not list the background job"
  grep -q "\[1\] *+* *Terminated *sleep 30" <(tr -d '\r' <"$work/pty.out") || fail "kill %1 did not end the job"
  echo "  background job listed by jobs, killed with kill %1, exit 7 passed through"
  step "docker run -it IMAGE sleep 60: Ctrl-C"
  rc=0
  pty_run 'sleep 3; printf "\003"; sleep 3' "$tag" /bin/sleep 60 || rc=$?
  [ "$rc" = 130 ] || fail "Ctrl-C gave exit $rc, expected 130 (128 + SIGINT)"
  echo "  Ctrl-C: exit 130"
}

case_readonly() {
  chain
  bare_image "$tag"
  step "docker run --read-only --tmpfs /run"
  # The services' ready files go to the tmpfs too (READY_DIR).
  run_d "$tag-ro" --read-only --tmpfs /run -e READY_DIR=/run "$tag"
  wait_for 60 sh -c "[ \"\$(docker inspect $tag-ro --format '{{.State.Health.Status}}')\" = healthy ]" ||
    { docker logs "$tag-ro"; fail "never healthy on a read-only root with a tmpfs on /run"; }
  docker exec "$tag-ro" /usr/sbin/steward ctl status | sed 's/^/  /'
  docker exec "$tag-ro" /bin/ls /run/steward | grep control.sock >/dev/null || fail "no control socket in /run/steward"
  stop_and_check "$tag-ro"
  check_order "$work/$tag-ro.log"
  step "docker run --read-only (no tmpfs): a warning, no control socket, services still run"
  local ctx=$work/ro2
  cp -R "$work/bare" "$ctx"
  rm -f "$ctx"/etc/services/*.toml
  printf 'command = "echo worker: up; while :; do sleep 1; done"\n' >"$ctx/etc/services/worker.toml"
  build "$tag-ro2" "$ctx/Dockerfile" "$ctx"
  run_d "$tag-ro2" --read-only --no-healthcheck "$tag-ro2"
  wait_for 60 logs_have "$tag-ro2" "worker: up" || { docker logs "$tag-ro2"; fail "worker did not start on a read-only root"; }
  docker logs "$tag-ro2" 2>&1 | grep "runtime directory" | sed 's/^/  | /'
  logs_have "$tag-ro2" "steward: warning: no usable runtime directory" || fail "no warning about the runtime directory"
  local rc=0
  docker exec "$tag-ro2" /usr/sbin/steward ctl status >/dev/null 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "ctl status answered ($rc) without a control socket"
  stop_and_check "$tag-ro2"
}

case_exitcodes() {
  mkdir -p "$work/bare/etc/services"
  cat >"$work/bare/etc/services/ok.toml" <<'TOML'
command = "while :; do sleep 1; done"
TOML
  bare_image "$tag"
  # Images for the rows that need their own services.
  local shut=$work/shutdown
  cp -R "$work/bare" "$shut"
  cat >"$shut/etc/services/broken.toml" <<'TOML'
command = "sleep 0.2; exit 4"
restart = "no"
on_failure = "shutdown"
TOML
  build "$tag-shutdown" "$shut/Dockerfile" "$shut"
  local dep=$work/dep
  cp -R "$work/bare" "$dep"
  cat >"$dep/etc/services/setup.toml" <<'TOML'
type = "oneshot"
command = "exit 5"
TOML
  cat >"$dep/etc/services/server.toml" <<'TOML'
depends_on = ["setup"]
main = true
command = "sleep 60"
TOML
  build "$tag-dep" "$dep/Dockerfile" "$dep"
  local bad=$work/bad
  cp -R "$work/bare" "$bad"
  printf 'command = "true"\ndepend_on = ["x"]\n' >"$bad/etc/services/typo.toml"
  chmod go-w "$bad/etc/services/typo.toml"
  build "$tag-bad" "$bad/Dockerfile" "$bad"

  expect() {  # expect CODE DESCRIPTION DOCKER-RUN-ARGS...
    local want=$1 what=$2 rc=0; shift 2
    docker run --rm --network none --no-healthcheck "$@" >"$work/out" 2>&1 || rc=$?
    printf '  %-58s %s\n' "$what" "$rc"
    [ "$rc" = "$want" ] || { cat "$work/out"; fail "$what: exit $rc, expected $want"; }
  }
  step "docker run exit codes (SPEC §1)"
  expect 3 "main program exited 3" "$tag" -- /bin/sh -c 'exit 3'
  expect 137 "main program killed by SIGKILL (128 + 9)" "$tag" -- /bin/sh -c 'kill -KILL $$'
  expect 0 "-e 3: exit 3 remapped to 0" "$tag" -e 3 -- /bin/sh -c 'exit 3'
  expect 4 "on_failure = shutdown service exited 4" "$tag-shutdown"
  expect 5 "main blocked: its dependency exited 5" "$tag-dep"
  expect 127 "PROGRAM not found" "$tag" -- /nonexistent
  expect 126 "PROGRAM not executable" "$tag" -- /etc/services/ok.toml
  expect 2 "configuration error (unknown key)" "$tag-bad"
  expect 2 "usage error (unknown option)" "$tag" --bogus
  run_d "$tag-ctl" "$tag"
  wait_for 30 docker exec "$tag-ctl" /usr/sbin/steward ctl health || fail "never healthy"
  # steward answers, stops and exits at once; the kernel then kills what is
  # left in the container's PID namespace, the exec'd ctl too if it has not
  # exited yet (docker exec: 137). The container's exit code is the contract.
  docker exec "$tag-ctl" /usr/sbin/steward ctl shutdown --exit-code 6 >/dev/null || true
  wait_for 30 sh -c "[ \"\$(docker inspect $tag-ctl --format '{{.State.Running}}')\" = false ]" ||
    fail "ctl shutdown did not end the container"
  printf '  %-58s %s\n' "ctl shutdown --exit-code 6" "$(exit_code "$tag-ctl")"
  [ "$(exit_code "$tag-ctl")" = 6 ] || fail "ctl shutdown --exit-code 6 gave $(exit_code "$tag-ctl")"
  run_d "$tag-stop" "$tag"
  wait_for 30 docker exec "$tag-stop" /usr/sbin/steward ctl health || fail "never healthy"
  stop_and_check "$tag-stop"
}

case_init() {
  step "docker info names steward's commit as the init version"
  local want got
  want=$("$steward" --version | sed -n 's/.* - git\.\([^ ]*\) - .*/\1/p')
  got=$(docker info --format '{{.InitCommit.ID}}')
  echo "  init binary: $(docker info --format '{{.InitBinary}}'), init version: $got"
  [ -n "$want" ] && [ "$got" = "$want" ] || fail "docker info shows init version '$got', expected '$want'"
  step "docker run --init: steward is PID 1 of an image without it"
  local ctx=$work/plain
  mkdir -p "$ctx/bin"
  cp /bin/busybox "$ctx/bin/busybox"
  for a in sh sleep ps cat; do ln -sf busybox "$ctx/bin/$a"; done
  printf 'FROM scratch\nENV PATH=/bin\nCOPY bin/ /bin/\nCMD ["/bin/sh"]\n' >"$ctx/Dockerfile"
  build "$tag-plain" "$ctx/Dockerfile" "$ctx"
  local rc=0 out
  out=$(docker run --rm --init --network none "$tag-plain" /bin/sh -c \
        'cat /proc/1/cmdline | tr "\0" " "; echo; (sleep 0.2 &); sleep 1; ps -o pid,stat,args; exit 3') || rc=$?
  sed 's/^/  | /' <<<"$out"
  [ "$rc" = 3 ] || fail "docker run --init ... exit 3 gave $rc"
  grep -q "^/sbin/docker-init -- /bin/sh" <<<"$out" || fail "PID 1 is not the init"
  ! grep -qE '^ *[0-9]+ +Z' <<<"$out" || fail "a zombie was left"
  step "docker stop of a --init container: SIGTERM reaches the program"
  run_d "$tag-init" --init "$tag-plain" /bin/sh -c 'trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 1 & wait $!; done'
  wait_for 30 logs_have "$tag-init" "up" || fail "the program did not start"
  stop_and_check "$tag-init"
  grep -q "got TERM" "$work/$tag-init.log" || fail "SIGTERM was not forwarded"
}

# Issue 24: docker run --user 1000:1000 with a tmpfs /tmp and two file
# sinks, one where uid 1000 cannot write (/var/log/steward: no /var in the
# image, / is root's) and one where it can: every numbered line reaches
# docker logs and the writable file, ctl status (as uid 1000) names the
# problem, and docker stop takes its normal time.
case_user() {
  mkdir -p "$work/bare/etc/services"
  printf '%s\n' '[[log.sink]]' 'name = "locked"' 'type = "file"' 'path = "/var/log/steward/{service}.log"' \
    '[[log.sink]]' 'name = "mine"' 'type = "file"' 'path = "/tmp/logs/{service}.log"' \
    >"$work/bare/etc/steward.toml"
  printf '%s\n' 'command = "i=1; while [ $$i -le 2000 ]; do echo n-$$i; i=$$((i+1)); done; echo counter: up; while :; do sleep 1; done"' \
    >"$work/bare/etc/services/counter.toml"
  bare_image "$tag"
  run_d "$tag" --user 1000:1000 --tmpfs /tmp "$tag"
  wait_for 60 logs_have "$tag" "counter: up" || { docker logs "$tag"; fail "counter never came up"; }
  wait_for 30 logs_have "$tag" "counter | n-2000" || { docker logs "$tag" | tail; fail "the console lost lines"; }
  local n
  n=$(docker logs "$tag" 2>&1 | grep -c "counter | n-")
  [ "$n" = 2000 ] || fail "docker logs has $n of 2000 numbered lines"
  wait_for 30 sh -c "[ \"\$(docker exec $tag /bin/busybox grep -c n- /tmp/logs/counter.log)\" = 2000 ]" ||
    fail "the writable file sink does not have every line"
  docker exec --user 1000:1000 "$tag" /usr/sbin/steward ctl status >"$work/status" 2>&1 || true
  sed 's/^/  /' "$work/status"
  grep -q "/var/log/steward" "$work/status" || fail "ctl status does not show the locked sink's problem"
  docker exec "$tag" /bin/ps | grep -v "ps$" | sed 's/^/  /'
  stop_and_check "$tag" 4000
}
