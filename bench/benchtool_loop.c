/* benchtool loop: N timed runs of each command, interleaved in rounds (see
 * the usage in benchtool.c). */
#define _GNU_SOURCE
#include "benchtool.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

struct cmd {
  const char *label;
  char **argv;
  double *samples, *cpu;
  int n, failures;
};

int cmd_loop(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: benchtool loop ROUNDS BATCH LABEL CMD... [:: LABEL CMD...]\n");
    return 2;
  }
  int rounds = atoi(argv[0]), batch = atoi(argv[1]);
  struct cmd cmds[32];
  int ncmd = 0;
  for (int i = 2; i < argc;) {
    if (ncmd == 32 || i + 1 >= argc) {
      fprintf(stderr, "benchtool: bad command list\n");
      return 2;
    }
    cmds[ncmd].label = argv[i++];
    cmds[ncmd].argv = &argv[i];
    while (i < argc && strcmp(argv[i], "::") != 0) i++;
    if (i < argc) argv[i++] = NULL; /* terminate this argv at the "::" */
    cmds[ncmd].samples = calloc((size_t)rounds * batch, sizeof(double));
    cmds[ncmd].cpu = calloc((size_t)rounds * batch, sizeof(double));
    cmds[ncmd].n = cmds[ncmd].failures = 0;
    ncmd++;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < ncmd; k++) {
      struct cmd *c = &cmds[(k + r) % ncmd];
      for (int b = 0; b < batch; b++) {
        pid_t pid;
        int st;
        struct rusage ru;
        double t0 = now_ns();
        if (posix_spawnp(&pid, c->argv[0], &fa, NULL, c->argv, environ) != 0) die("posix_spawn");
        while (wait4(pid, &st, 0, &ru) < 0)
          if (errno != EINTR) die("wait4");
        double t1 = now_ns();
        /* CPU time of the command and of every descendant it reaped: what
           the run cost, whatever else the machine was doing */
        c->cpu[c->n] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
                       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
        c->samples[c->n++] = t1 - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) c->failures++;
      }
    }
  }
  for (int k = 0; k < ncmd; k++) {
    struct cmd *c = &cmds[k];
    double total = 0, cpu_total = 0;
    for (int i = 0; i < c->n; i++) total += c->samples[i], cpu_total += c->cpu[i];
    qsort(c->samples, c->n, sizeof(double), cmp_double);
    qsort(c->cpu, c->n, sizeof(double), cmp_double);
    printf("%s %d %.4f %.1f %.1f %.1f %.1f %.1f %d %.1f %.1f\n", c->label, c->n, total / 1e9,
           total / c->n / 1e3, c->samples[c->n / 2] / 1e3, c->samples[c->n / 10] / 1e3,
           c->samples[c->n * 9 / 10] / 1e3, c->samples[0] / 1e3, c->failures, c->cpu[c->n / 2] / 1e3,
           cpu_total / c->n / 1e3);
  }
  return 0;
}
