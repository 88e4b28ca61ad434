// A small program the integration tests run under steward, for what a shell
// cannot do portably: record every signal it receives (real-time ones too)
// and report the signal state it inherited.
//
//   test_helper record FILE      append each received signal number to FILE
//   test_helper disposition SIG  print "ignored" / "default" and "blocked" / "unblocked"
//   test_helper notify MESSAGE   send MESSAGE (e.g. READY=1) to $NOTIFY_SOCKET
//   test_helper orphans N        leave N orphans behind (each child forks a
//                                grandchild and exits first), print "orphaned N"
//   test_helper forkbomb N       fork children that sleep, until N exist or
//                                fork fails; print "forked K (ERRNO)"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <unistd.h>

namespace {

int g_fd = -1;

void Record(int sig) {
  char buf[16];
  int n = 0;
  char tmp[8];
  int t = 0;
  do {
    tmp[t++] = char('0' + sig % 10);
    sig /= 10;
  } while (sig > 0);
  while (t > 0) buf[n++] = tmp[--t];
  buf[n++] = '\n';
  (void)!write(g_fd, buf, size_t(n));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "record") == 0) {
    g_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
    struct sigaction sa = {};
    sa.sa_handler = Record;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      sigaction(sig, &sa, nullptr);
    }
    (void)!write(g_fd, "ready\n", 6);
    for (;;) pause();
  }
  if (argc == 3 && strcmp(argv[1], "disposition") == 0) {
    int sig = atoi(argv[2]);
    struct sigaction old;
    sigaction(sig, nullptr, &old);
    sigset_t mask;
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    printf("%s %s\n", old.sa_handler == SIG_IGN ? "ignored" : "default",
           sigismember(&mask, sig) ? "blocked" : "unblocked");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "notify") == 0) {
    const char* path = getenv("NOTIFY_SOCKET");
    if (!path) return 3;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    ssize_t n = sendto(fd, argv[2], strlen(argv[2]), 0, (struct sockaddr*)&addr, sizeof addr);
    return n < 0 ? 1 : 0;
  }
  if (argc == 3 && strcmp(argv[1], "orphans") == 0) {
    int n = atoi(argv[2]), made = 0;
    for (int i = 0; i < n; ++i) {
      pid_t c = fork();
      if (c == 0) {
        if (fork() == 0) {
          usleep(2000);  // outlive the parent: re-parented to PID 1, reaped there
          _exit(0);
        }
        _exit(0);
      }
      if (c > 0 && waitpid(c, nullptr, 0) == c) ++made;
    }
    printf("orphaned %d\n", made);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "forkbomb") == 0) {
    int n = atoi(argv[2]), made = 0, err = 0;
    for (; made < n; ++made) {
      pid_t c = fork();
      if (c < 0) {
        err = errno;
        break;
      }
      if (c == 0) {
        pause();
        _exit(0);
      }
    }
    printf("forked %d (%s)\n", made, err ? strerror(err) : "no error");
    fflush(stdout);
    for (;;) pause();
  }
  fprintf(stderr, "usage: test_helper record FILE | disposition SIG\n");
  return 2;
}
