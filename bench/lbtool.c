/* lbtool: the measuring helper of bench/logs.sh.
 *
 * Not part of steward. Built by bench/logs.sh with the system C compiler
 * into its temporary directory; Linux only.
 *
 * lbtool wait [-o OUT] PATH LINES TIMEOUT [PROC...]
 *   Polls PATH every millisecond until it holds LINES lines as long as its
 *   first line (every output measured has fixed-width lines); LINES = 0:
 *   until PATH is not empty. Then prints at once "done REALTIME SIZE" and
 *   one "proc" line per PROC. On timeout prints "done timeout SIZE", exit 1.
 * lbtool proc [-o OUT] PROC...
 *   The "proc" lines, now.
 * PROC: a pid, @COMM (the process named COMM; retried for 5 s), or ^PID
 *   (the child of PID).
 * proc line: proc COMM PID CPU_S RUN_S HWM_KB RSS_KB ANON_KB FILE_KB
 *   CPU_S = utime+stime (/proc/PID/stat), RUN_S = on-CPU time from
 *   /proc/PID/schedstat (nanoseconds), the rest from /proc/PID/status.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int readfile(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return (int)n;
}

static void nap(long ns) {
  struct timespec d = {0, ns};
  nanosleep(&d, 0);
}

static double mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* pid of a process whose comm is name (mode '@') or whose parent is ppid
 * (mode '^'); 0 if none. */
static long find(char mode, const char *name, long ppid) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  long found = 0;
  char path[300], buf[512];
  if (!d) return 0;
  while (!found && (e = readdir(d))) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    if (mode == '@') {
      snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
      if (readfile(path, buf, sizeof buf) <= 0) continue;
      buf[strcspn(buf, "\n")] = 0;
      if (strcmp(buf, name) == 0) found = atol(e->d_name);
    } else {
      snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
      if (readfile(path, buf, sizeof buf) <= 0) continue;
      char *p = strrchr(buf, ')');
      char st;
      long pp;
      if (p && sscanf(p + 1, " %c %ld", &st, &pp) == 2 && pp == ppid) found = atol(e->d_name);
    }
  }
  closedir(d);
  return found;
}

static long resolve(const char *spec) {
  if (spec[0] != '@' && spec[0] != '^') return atol(spec);
  for (int i = 0; i < 500; ++i) {
    long pid = find(spec[0], spec + 1, spec[0] == '^' ? atol(spec + 1) : 0);
    if (pid > 0) return pid;
    nap(10000000);
  }
  return 0;
}

static long field(const char *status, const char *key) {
  const char *p = strstr(status, key);
  return p ? atol(p + strlen(key)) : -1;
}

static void proc(FILE *out, long pid) {
  char path[64], stat[4096], sched[256], status[8192], comm[64] = "?";
  double cpu = -1, run = -1;
  long tck = sysconf(_SC_CLK_TCK);
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if (pid > 0 && readfile(path, stat, sizeof stat) > 0) {
    char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    if (open && close && close - open - 1 < (long)sizeof comm) {
      memcpy(comm, open + 1, (size_t)(close - open - 1));
      comm[close - open - 1] = 0;
    }
    unsigned long ut = 0, stt = 0;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime */
    if (close && sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) == 2)
      cpu = (double)(ut + stt) / (double)tck;
  }
  snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
  if (pid > 0 && readfile(path, sched, sizeof sched) > 0) run = atof(sched) / 1e9;
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  if (pid <= 0 || readfile(path, status, sizeof status) <= 0) status[0] = 0;
  fprintf(out, "proc %s %ld %.3f %.6f %ld %ld %ld %ld\n", comm, pid, cpu, run,
          field(status, "VmHWM:"), field(status, "VmRSS:"), field(status, "RssAnon:"),
          field(status, "RssFile:"));
}

static long first_line(const char *path) {
  char buf[65536];
  int n = readfile(path, buf, sizeof buf);
  if (n <= 0) return 0;
  char *nl = memchr(buf, '\n', (size_t)n);
  return nl ? (long)(nl - buf) + 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lbtool wait [-o OUT] PATH LINES TIMEOUT [PROC...] | proc [-o OUT] PROC...\n");
    return 2;
  }
  int i = 2;
  FILE *out = stdout;
  if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
    out = fopen(argv[i + 1], "w");
    if (!out) { perror(argv[i + 1]); return 2; }
    i += 2;
  }
  long pids[16];
  int np = 0;
  if (strcmp(argv[1], "proc") == 0) {
    for (; i < argc && np < 16; ++i) pids[np++] = resolve(argv[i]);
    for (int k = 0; k < np; ++k) proc(out, pids[k]);
    return 0;
  }
  if (strcmp(argv[1], "wait") != 0 || argc - i < 3) return 2;
  const char *path = argv[i];
  long long lines = atoll(argv[i + 1]);
  double limit = atof(argv[i + 2]);
  for (i += 3; i < argc && np < 16; ++i) pids[np++] = resolve(argv[i]);
  double t0 = mono();
  long len = 0;
  struct stat st;
  int ok = 0;
  for (;;) {
    if (stat(path, &st) == 0 && st.st_size > 0) {
      if (lines == 0) { ok = 1; break; }
      if (len == 0) len = first_line(path);
      if (len > 0 && st.st_size >= (long long)len * lines) { ok = 1; break; }
    }
    if (mono() - t0 > limit) break;
    nap(1000000);
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (stat(path, &st) != 0) st.st_size = 0;
  if (ok) fprintf(out, "done %lld.%09ld %lld\n", (long long)now.tv_sec, now.tv_nsec, (long long)st.st_size);
  else fprintf(out, "done timeout %lld\n", (long long)st.st_size);
  for (int k = 0; k < np; ++k) proc(out, pids[k]);
  fflush(out);
  return ok ? 0 : 1;
}
