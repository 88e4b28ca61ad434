#include "harness.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace steward::testing {

const char* StewardBin() { return STEWARD_BIN; }

namespace {

std::string TempFile(const char* what) {
  std::string path = std::string("/tmp/steward-test-") + what + "-XXXXXX";
  int fd = mkstemp(path.data());
  close(fd);
  return path;
}

int ExitCodeFromStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

void LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {};
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  close(s);
}

// A /dev of steward's own, so that binding /dev/log never touches the
// machine's: a tmpfs with the real device nodes bind-mounted into it.
void PrivateDev() {
  char old[] = "/tmp/steward-olddev-XXXXXX";
  if (!mkdtemp(old) || mount("/dev", old, nullptr, MS_BIND | MS_REC, nullptr) < 0) return;
  if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755") == 0) {
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty", "ptmx"}) {
      std::string from = std::string(old) + "/" + node, to = std::string("/dev/") + node;
      int fd = open(to.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
      if (fd >= 0) close(fd);
      mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr);
    }
    for (const char* dir : {"pts", "shm", "mqueue"}) {
      std::string from = std::string(old) + "/" + dir, to = std::string("/dev/") + dir;
      mkdir(to.c_str(), 0755);
      mount(from.c_str(), to.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
    }
    symlink("/proc/self/fd", "/dev/fd");
    symlink("/proc/self/fd/0", "/dev/stdin");
    symlink("/proc/self/fd/1", "/dev/stdout");
    symlink("/proc/self/fd/2", "/dev/stderr");
  }
  umount2(old, MNT_DETACH);
  rmdir(old);
}

void PrivateRunTmp(const std::string& keep) {
  int kept = keep.empty() ? -1 : open(keep.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  if (kept < 0) return;
  for (size_t pos = 1; pos <= keep.size(); ++pos) {
    if (pos == keep.size() || keep[pos] == '/') mkdir(keep.substr(0, pos).c_str(), 0755);
  }
  std::string from = "/proc/self/fd/" + std::to_string(kept);
  mount(from.c_str(), keep.c_str(), nullptr, MS_BIND, nullptr);
  close(kept);
}

void BecomeUser(int uid, int gid) {
  if (uid < 0) return;
  if (setgroups(0, nullptr) < 0 || setgid(gid_t(gid)) < 0 || setuid(uid_t(uid)) < 0) _exit(123);
}

// By descriptor when `fd` is one: a private /tmp may hide the build (a
// clone under mktemp -d).
[[noreturn]] void ExecSteward(std::string bin, const std::vector<std::string>& args, char** envp,
                              int fd = -1) {
  std::vector<char*> argv;
  argv.push_back(bin.data());
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (fd >= 0) {
    syscall(SYS_execveat, fd, "", argv.data(), envp, AT_EMPTY_PATH);
  } else {
    execve(bin.c_str(), argv.data(), envp);
  }
  _exit(126);
}

}  // namespace

Process::Process(const std::vector<std::string>& args, const RunOptions& opts) {
  out_path_ = TempFile("out");
  err_path_ = TempFile("err");
  int in[2] = {-1, -1};
  bool piped = opts.stdin_open || !opts.stdin_data.empty();
  if (piped && pipe2(in, O_CLOEXEC) < 0) abort();
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) abort();

  // Prepared before fork.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const char* eq = strchr(*e, '=');
    if (eq) env[std::string(*e, size_t(eq - *e))] = eq + 1;
  }
  for (auto& [k, v] : opts.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  outer_ = fork();
  if (outer_ == 0) {
    // The namespace holder never execs: it must not keep our end of
    // steward's stdin open, or steward's child would never see EOF.
    if (piped) close(in[1]);
    int fd_in = piped ? in[0] : open("/dev/null", O_RDONLY);
    int fd_out = open(out_path_.c_str(), O_WRONLY | O_TRUNC);
    int fd_err = opts.stderr_path.empty() ? open(err_path_.c_str(), O_WRONLY | O_TRUNC)
                                          : open(opts.stderr_path.c_str(), O_WRONLY);
    dup2(fd_in, 0);
    dup2(fd_out, 1);
    dup2(fd_err, 2);
    if (!opts.cwd.empty() && chdir(opts.cwd.c_str()) < 0) _exit(125);
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : opts.block_signals) sigaddset(&mask, sig);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    for (int sig : opts.ignore_signals) signal(sig, SIG_IGN);
    if (!opts.new_pid_namespace) {
      pid_t self = getpid();
      (void)!write(report[1], &self, sizeof self);
      ExecSteward(opts.binary.empty() ? StewardBin() : opts.binary, args, envp.data());
    }
    if (unshare(CLONE_NEWPID | CLONE_NEWNS | (opts.new_net_namespace ? CLONE_NEWNET : 0)) < 0)
      _exit(124);
    if (opts.new_net_namespace) LoopbackUp();
    pid_t inner = fork();
    if (inner == 0) {
      // PID 1 of the new namespace: a private /proc of its own.
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
      std::string bin = opts.binary.empty() ? StewardBin() : opts.binary;
      int fd = open(bin.c_str(), O_PATH | O_CLOEXEC);
      PrivateDev();
      if (opts.private_run_tmp) PrivateRunTmp(opts.keep);
      BecomeUser(opts.uid, opts.gid);
      ExecSteward(bin, args, envp.data(), fd);
    }
    (void)!write(report[1], &inner, sizeof inner);
    close(0);
    close(1);
    close(2);
    int st;
    while (waitpid(inner, &st, 0) < 0) {
    }
    _exit(ExitCodeFromStatus(st));
  }
  close(report[1]);
  if (piped) {
    close(in[0]);
    stdin_fd_ = in[1];
  }
  if (read(report[0], &steward_pid_, sizeof steward_pid_) != sizeof steward_pid_) steward_pid_ = -1;
  close(report[0]);
  if (!opts.stdin_data.empty()) {
    WriteStdin(opts.stdin_data);
    if (!opts.stdin_open) CloseStdin();
  }
}

Process::~Process() {
  if (exit_code_ < 0 && outer_ > 0) {
    if (steward_pid_ > 0) kill(steward_pid_, SIGKILL);
    kill(outer_, SIGKILL);
    waitpid(outer_, nullptr, 0);
  }
  CloseStdin();
  unlink(out_path_.c_str());
  unlink(err_path_.c_str());
}

namespace {

// The SigBlk mask of /proc/PID/status, or false when the process is gone
// or a zombie (then nothing will ever block a signal again).
bool BlockedMask(pid_t pid, unsigned long long* mask) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (status.empty() || status.find("\nState:\tZ") != std::string::npos) return false;
  for (const std::string& l : Lines(status)) {
    if (l.rfind("SigBlk:", 0) == 0) {
      *mask = strtoull(l.c_str() + 7, nullptr, 16);
      return true;
    }
  }
  return false;
}

}  // namespace

// steward blocks every signal as the first thing main() does (under ASan,
// a while after exec). Before that, PID 1 of a namespace drops a signal it
// has no handler for, and outside one the default action kills it; so a
// signal waits until steward has blocked it (then it is queued, never
// lost). SIGKILL needs no readiness.
void Process::Signal(int sig) {
  if (sig != SIGKILL && sig != SIGSTOP && sig > 0 && sig <= 64) {
    unsigned long long bit = 1ULL << (sig - 1), mask = 0;
    WaitFor([&] { return !BlockedMask(steward_pid_, &mask) || (mask & bit) != 0; },
            std::chrono::seconds(30));
  }
  kill(steward_pid_, sig);
}

void Process::WriteStdin(const std::string& data) {
  if (stdin_fd_ >= 0) (void)!write(stdin_fd_, data.data(), data.size());
}

void Process::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int st;
    pid_t r = waitpid(outer_, &st, WNOHANG);
    if (r == outer_) {
      exit_code_ = ExitCodeFromStatus(st);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

std::string Process::Stdout() const { return ReadFile(out_path_); }
std::string Process::Stderr() const { return ReadFile(err_path_); }

std::vector<pid_t> Children(pid_t pid) {
  std::string p = std::to_string(pid);
  std::stringstream ss(ReadFile("/proc/" + p + "/task/" + p + "/children"));
  std::vector<pid_t> out;
  pid_t c;
  while (ss >> c) out.push_back(c);
  return out;
}

bool IsZombie(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  return stat.find(") Z ") != std::string::npos;
}

long VoluntarySwitches(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  for (const std::string& l : Lines(status)) {
    if (l.rfind("voluntary_ctxt_switches:", 0) == 0) return atol(l.c_str() + 24);
  }
  return -1;
}

bool WaitUntilQuiet(pid_t pid, std::chrono::milliseconds quiet, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  long last = VoluntarySwitches(pid);
  auto since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    long now = VoluntarySwitches(pid);
    if (now != last) {
      last = now;
      since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - since >= quiet) {
      return true;
    }
  }
  return false;
}

pid_t ForwarderOf(pid_t steward) {
  // Only once it runs as the forwarder: PID 1's child names itself
  // steward-log before it executes the binary again (its argv then is still
  // PID 1's), and the executed forwarder names itself again once started
  // (until then its name is the binary's file name).
  for (pid_t c : Children(steward)) {
    std::string proc = "/proc/" + std::to_string(c);
    if (ReadFile(proc + "/comm") == "steward-log\n" &&
        ReadFile(proc + "/cmdline") == std::string("steward-log\0", 12))
      return c;
  }
  return 0;
}

void ExpectNoSanitizerReport(const Process& p) {
  EXPECT_EQ(std::string::npos, p.Stderr().find("Sanitizer")) << p.Stderr();
  EXPECT_EQ(std::string::npos, p.Stderr().find("runtime error:")) << p.Stderr();
}

}  // namespace steward::testing
