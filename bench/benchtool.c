/* benchtool — measuring helper for bench/wrapper.sh and bench/supervisor.sh.
 *
 * Not part of steward. Built by the bench scripts (build_benchtool in
 * bench/common.sh) with the system C compiler into a temporary directory;
 * Linux only; the `sup` mode needs root (it listens on the kernel's
 * process-events connector). One file per mode: benchtool_loop.c,
 * benchtool_sup.c; this one holds main and what both share (benchtool.h).
 *
 *   benchtool loop ROUNDS BATCH LABEL CMD [ARG...] [:: LABEL CMD [ARG...]]...
 *       Runs every command ROUNDS*BATCH times, sequentially, interleaved: in
 *       each round every command runs BATCH times, and the order of the
 *       commands rotates from one round to the next. Each run is timed from
 *       posix_spawn() to wait4(), which also gives the CPU time (user + system)
 *       of the command and of the descendants it reaped. stdout/stderr go to
 *       /dev/null. Prints one line per command:
 *         LABEL runs total_s mean_us median_us p10_us p90_us min_us failures
 *               cpu_median_us cpu_mean_us
 *
 *   benchtool sup [OPTIONS] -- CMD [ARG...]
 *       CMD is expected to be `unshare --pid --fork --mount-proc INIT ...`:
 *       its child is the init (PID 1 of the new namespace). benchtool follows
 *       every fork, exec and exit below CMD through the process-events
 *       connector (event timestamps are the kernel's CLOCK_MONOTONIC), so no
 *       polling perturbs what is measured. Sequence:
 *         1. spawn CMD; wait until EXPECT processes named COMM have exec'd;
 *         2. wait SETTLE s, read VmRSS and context switches of the init and
 *            of every other process below it that is not a service;
 *         3. wait IDLE s, read the context switches again;
 *         4. run STOP-CMD (if any, timed), send SIGNAL to the init, wait for
 *            everything to exit.
 *       Prints key=value lines (see the end of cmd_sup), and one line
 *         svc ARGS START_MS EXIT_MS
 *       per service (ARGS: its arguments, `_`-separated; START_MS from the
 *       init's exec, EXIT_MS from the stop).
 *   options: --expect N (20) --comm NAME (sleep) --settle S (2) --idle S (10)
 *            --signal NUM (15) --stop-cmd SHELLCMD --out FILE (/dev/null)
 *            --timeout S (60)
 */
#define _GNU_SOURCE
#include "benchtool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void die(const char *what) {
  fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
  exit(1);
}

int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "loop")) return cmd_loop(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "sup")) return cmd_sup(argc - 2, argv + 2);
  fprintf(stderr, "usage: benchtool loop ...|sup ...\n");
  return 2;
}
