/* benchtool sup: an init and its services followed through the kernel's
 * process-events connector, from start to stop (see the usage in
 * benchtool.c). */
#define _GNU_SOURCE
#include "benchtool.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 4096
struct proc {
  pid_t pid;
  int alive, service, exited_status;
  double t_exec, t_exit;
  char args[48]; /* a service's arguments after argv[0], to tell them apart */
};
static struct proc procs[MAXP];
static int nprocs;

static struct proc *find(pid_t pid) {
  for (int i = nprocs - 1; i >= 0; i--)
    if (procs[i].pid == pid) return &procs[i];
  return NULL;
}

static struct proc *add(pid_t pid) {
  struct proc *p = find(pid);
  if (p && p->alive) return p;
  if (nprocs == MAXP) {
    fprintf(stderr, "benchtool: too many processes\n");
    exit(1);
  }
  p = &procs[nprocs++];
  memset(p, 0, sizeof *p);
  p->pid = pid;
  p->alive = 1;
  p->exited_status = -1;
  return p;
}

static int read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return (int)n;
}

static int comm_is(pid_t pid, const char *name) {
  char path[64], buf[64];
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  if (read_file(path, buf, sizeof buf) < 0) return 0;
  buf[strcspn(buf, "\n")] = 0;
  return strcmp(buf, name) == 0;
}

static void read_args(pid_t pid, char *out, size_t size) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int n = read_file(path, buf, sizeof buf);
  out[0] = 0;
  if (n <= 0) return;
  size_t first = strlen(buf) + 1;
  for (int i = (int)first; i < n; i++)
    if (buf[i] == 0) buf[i] = '_';
  if ((int)first < n) snprintf(out, size, "%s", buf + first);
  if (n > 0 && out[0] && out[strlen(out) - 1] == '_') out[strlen(out) - 1] = 0;
}

static long status_field(const char *status, const char *key) {
  const char *p = strstr(status, key);
  return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

struct pstat {
  long rss, anon, file, vol, nonvol, pss;
};

static int read_pstat(pid_t pid, struct pstat *s) {
  char path[64], buf[8192];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  if (read_file(path, buf, sizeof buf) < 0) return -1;
  s->rss = status_field(buf, "VmRSS:");
  s->anon = status_field(buf, "RssAnon:");
  s->file = status_field(buf, "RssFile:");
  s->vol = status_field(buf, "\nvoluntary_ctxt_switches:");
  s->nonvol = status_field(buf, "nonvoluntary_ctxt_switches:");
  /* proportional set size: pages shared with other processes (the same
     binary's text, libc.so) count once in total, not once per process */
  snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
  s->pss = read_file(path, buf, sizeof buf) < 0 ? -1 : status_field(buf, "\nPss:");
  return 0;
}

static int nl_fd = -1;
static pid_t root_pid, init_pid;
static double t_init_exec;
static int services_started;
static const char *svc_comm = "sleep";

static void nl_open(void) {
  nl_fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (nl_fd < 0) die("socket(NETLINK_CONNECTOR)");
  int sz = 8 << 20;
  setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0};
  if (bind(nl_fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind(CN_IDX_PROC) (needs root)");
  struct {
    struct nlmsghdr nh;
    struct cn_msg cn;
    enum proc_cn_mcast_op op;
  } __attribute__((packed)) msg;
  memset(&msg, 0, sizeof msg);
  msg.nh.nlmsg_len = sizeof msg;
  msg.nh.nlmsg_type = NLMSG_DONE;
  msg.nh.nlmsg_pid = getpid();
  msg.cn.id.idx = CN_IDX_PROC;
  msg.cn.id.val = CN_VAL_PROC;
  msg.cn.len = sizeof(enum proc_cn_mcast_op);
  msg.op = PROC_CN_MCAST_LISTEN;
  if (send(nl_fd, &msg, sizeof msg, 0) < 0) die("send(PROC_CN_MCAST_LISTEN)");
}

/* Handle every queued event; wait at most timeout_ms for the first one. */
static void nl_drain(int timeout_ms) {
  struct pollfd pfd = {.fd = nl_fd, .events = POLLIN};
  if (poll(&pfd, 1, timeout_ms) <= 0) return;
  for (;;) {
    char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t len = recv(nl_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (len < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      if (errno == ENOBUFS) {
        fprintf(stderr, "benchtool: process events lost (ENOBUFS); results invalid\n");
        exit(1);
      }
      die("recv");
    }
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
         nh = NLMSG_NEXT(nh, len)) {
      struct cn_msg *cn = NLMSG_DATA(nh);
      struct proc_event *ev = (struct proc_event *)cn->data;
      double ts = (double)ev->timestamp_ns;
      switch (ev->what) {
      case PROC_EVENT_FORK: {
        struct proc *parent = find(ev->event_data.fork.parent_tgid);
        if (parent && parent->alive && ev->event_data.fork.child_pid == ev->event_data.fork.child_tgid) {
          add(ev->event_data.fork.child_tgid);
          if (ev->event_data.fork.parent_tgid == root_pid && !init_pid)
            init_pid = ev->event_data.fork.child_tgid;
        }
        break;
      }
      case PROC_EVENT_EXEC: {
        struct proc *p = find(ev->event_data.exec.process_tgid);
        if (!p || !p->alive) break;
        p->t_exec = ts;
        if (p->pid == init_pid && !t_init_exec) t_init_exec = ts;
        if (p->pid != init_pid && !p->service && comm_is(p->pid, svc_comm)) {
          p->service = 1;
          read_args(p->pid, p->args, sizeof p->args);
          services_started++;
        }
        break;
      }
      case PROC_EVENT_EXIT: {
        if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid) break;
        struct proc *p = find(ev->event_data.exit.process_tgid);
        if (!p || !p->alive) break;
        p->alive = 0;
        p->t_exit = ts;
        p->exited_status = (int)ev->event_data.exit.exit_code;
        break;
      }
      default:
        break;
      }
    }
  }
}

static void drain_until(double deadline) {
  for (double t = now_ns(); t < deadline; t = now_ns()) nl_drain((int)((deadline - t) / 1e6) + 1);
}

struct totals {
  long init_rss, init_anon, init_file, init_vol, init_nonvol, init_pss;
  long sup_rss, sup_vol, sup_nonvol, sup_pss;
  int sup_n;
};

static void snapshot(struct totals *t) {
  memset(t, 0, sizeof *t);
  for (int i = 0; i < nprocs; i++) {
    struct proc *p = &procs[i];
    if (!p->alive || p->pid == root_pid || p->service) continue;
    struct pstat s;
    if (read_pstat(p->pid, &s) < 0) continue;
    if (p->pid == init_pid) {
      t->init_rss = s.rss;
      t->init_anon = s.anon;
      t->init_file = s.file;
      t->init_vol = s.vol;
      t->init_nonvol = s.nonvol;
      t->init_pss = s.pss;
    }
    t->sup_rss += s.rss;
    t->sup_pss += s.pss;
    t->sup_vol += s.vol;
    t->sup_nonvol += s.nonvol;
    t->sup_n++;
  }
}

int cmd_sup(int argc, char **argv) {
  int expect = 20, signo = SIGTERM;
  double settle = 2, idle = 10, timeout = 60;
  const char *stop_cmd = NULL, *out = "/dev/null";
  int i = 0;
  for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) return 2;
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--expect")) expect = atoi(v);
    else if (!strcmp(k, "--comm")) svc_comm = v;
    else if (!strcmp(k, "--settle")) settle = atof(v);
    else if (!strcmp(k, "--idle")) idle = atof(v);
    else if (!strcmp(k, "--signal")) signo = atoi(v);
    else if (!strcmp(k, "--stop-cmd")) stop_cmd = v;
    else if (!strcmp(k, "--out")) out = v;
    else if (!strcmp(k, "--timeout")) timeout = atof(v);
    else {
      fprintf(stderr, "benchtool: unknown option %s\n", k);
      return 2;
    }
  }
  if (i + 1 >= argc) {
    fprintf(stderr, "usage: benchtool sup [OPTIONS] -- CMD...\n");
    return 2;
  }
  char **cmd = &argv[i + 1];

  nl_open();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  double t_spawn = now_ns();
  if (posix_spawnp(&root_pid, cmd[0], &fa, NULL, cmd, environ) != 0) die("posix_spawn");
  add(root_pid);

  /* 1. start */
  double deadline = t_spawn + timeout * 1e9;
  double t_ready = 0;
  while (now_ns() < deadline) {
    nl_drain(100);
    if (services_started >= expect) break;
    int st;
    if (waitpid(root_pid, &st, WNOHANG) == root_pid) {
      fprintf(stderr, "benchtool: %s exited (status 0x%x) before %d services ran (%d did)\n", cmd[0], st,
              expect, services_started);
      return 1;
    }
  }
  if (services_started < expect) {
    fprintf(stderr, "benchtool: only %d of %d services started within %.0f s\n", services_started, expect,
            timeout);
    kill(init_pid, SIGKILL);
    waitpid(root_pid, NULL, 0);
    return 1;
  }
  int nth = 0;
  double stimes[MAXP];
  for (int k = 0; k < nprocs; k++)
    if (procs[k].service) stimes[nth++] = procs[k].t_exec;
  qsort(stimes, nth, sizeof(double), cmp_double);
  t_ready = stimes[expect - 1];
  double t_first = stimes[0];

  /* 2. settle, snapshot */
  drain_until(now_ns() + settle * 1e9);
  struct totals a, b;
  snapshot(&a);
  /* 3. idle */
  int forks_before = nprocs;
  drain_until(now_ns() + idle * 1e9);
  snapshot(&b);
  int forks_idle = nprocs - forks_before;

  /* 4. stop */
  double t_stop = now_ns();
  double t_stopcmd_done = t_stop;
  if (stop_cmd) {
    pid_t sp;
    char *sargv[] = {"sh", "-c", (char *)stop_cmd, NULL};
    if (posix_spawnp(&sp, "sh", NULL, NULL, sargv, environ) != 0) die("posix_spawn stop-cmd");
    int st;
    while (waitpid(sp, &st, WNOHANG) == 0) nl_drain(1);
    t_stopcmd_done = now_ns();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fprintf(stderr, "benchtool: stop-cmd failed (0x%x)\n", st);
  }
  if (signo && kill(init_pid, signo) < 0) die("kill");
  deadline = now_ns() + timeout * 1e9;
  int root_status = -1;
  for (;;) {
    nl_drain(100);
    int alive = 0;
    for (int k = 0; k < nprocs; k++)
      if (procs[k].alive && procs[k].pid != root_pid) alive++;
    if (!alive) break;
    if (now_ns() > deadline) {
      fprintf(stderr, "benchtool: %d processes still alive %.0f s after the stop; killing the init\n", alive,
              timeout);
      kill(init_pid, SIGKILL);
      deadline += 5e9;
    }
  }
  while (waitpid(root_pid, &root_status, 0) < 0 && errno == EINTR) {
  }

  struct proc *init = find(init_pid);
  double svc_last = 0;
  int by_term = 0, by_kill = 0, other = 0, before_init = 0;
  for (int k = 0; k < nprocs; k++) {
    struct proc *p = &procs[k];
    if (!p->service) continue;
    if (p->t_exit > svc_last) svc_last = p->t_exit;
    int s = p->exited_status;
    if (WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM) by_term++;
    else if (WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL) by_kill++;
    else other++;
    if (p->t_exit < init->t_exit) before_init++;
  }
  double all_last = 0;
  for (int k = 0; k < nprocs; k++)
    if (procs[k].pid != root_pid && procs[k].t_exit > all_last) all_last = procs[k].t_exit;

  printf("services=%d\n", services_started);
  printf("start_ms=%.3f\n", (t_ready - t_init_exec) / 1e6);          /* init exec -> last service exec */
  printf("start_first_ms=%.3f\n", (t_first - t_init_exec) / 1e6);    /* init exec -> first service exec */
  printf("start_from_spawn_ms=%.3f\n", (t_ready - t_spawn) / 1e6);   /* incl. unshare + mount /proc */
  printf("init_rss_kb=%ld\ninit_rss_anon_kb=%ld\ninit_rss_file_kb=%ld\n", a.init_rss, a.init_anon, a.init_file);
  printf("init_pss_kb=%ld\n", a.init_pss);
  printf("sup_rss_kb=%ld\nsup_pss_kb=%ld\nsup_procs=%d\n", a.sup_rss, a.sup_pss, a.sup_n);
  printf("idle_s=%.1f\n", idle);
  printf("init_wake_vol=%ld\ninit_wake_nonvol=%ld\n", b.init_vol - a.init_vol, b.init_nonvol - a.init_nonvol);
  printf("sup_wake_vol=%ld\nsup_wake_nonvol=%ld\n", b.sup_vol - a.sup_vol, b.sup_nonvol - a.sup_nonvol);
  printf("idle_forks=%d\n", forks_idle);
  printf("stop_cmd_ms=%.3f\n", (t_stopcmd_done - t_stop) / 1e6);
  printf("stop_services_ms=%.3f\n", (svc_last - t_stop) / 1e6);     /* SIGTERM/stop-cmd -> last service gone */
  printf("stop_init_ms=%.3f\n", (init->t_exit - t_stop) / 1e6);     /* -> PID 1 exited */
  printf("stop_all_ms=%.3f\n", (all_last - t_stop) / 1e6);          /* -> last process of the namespace */
  printf("services_by_sigterm=%d\nservices_by_sigkill=%d\nservices_other=%d\n", by_term, by_kill, other);
  printf("services_before_init=%d\n", before_init);
  for (int k = 0; k < nprocs; k++) /* svc ARGS START_MS EXIT_MS (from init exec / from the stop) */
    if (procs[k].service)
      printf("svc %s %.3f %.3f\n", procs[k].args[0] ? procs[k].args : "-", (procs[k].t_exec - t_init_exec) / 1e6,
             (procs[k].t_exit - t_stop) / 1e6);
  printf("exit_status=%d\n", WIFEXITED(root_status) ? WEXITSTATUS(root_status) : 128 + WTERMSIG(root_status));
  return 0;
}
