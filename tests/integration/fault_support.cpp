// Helpers of the fault-matrix tests: see fault_support.hpp.
#include "fault_support.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

namespace steward::testing {

FaultSet::FaultSet() {
  mkdir((dir_ / "services").c_str(), 0755);
  mkdir((dir_ / "run").c_str(), 0755);
  chmod(dir_.path().c_str(), 0777);
}

std::string FaultSet::Expand(std::string text) const {
  for (size_t at; (at = text.find("@DIR")) != std::string::npos;) text.replace(at, 4, dir_.path());
  return text;
}

void FaultSet::Add(const std::string& name, const std::string& toml) {
  WriteFile(dir_ / ("services/" + name + ".toml"), Expand(toml));
}

void FaultSet::Global(const std::string& log_section_and_sinks) {
  WriteFile(dir_ / "steward.toml",
            Expand("[log]\nsyslog_socket = \"@DIR/dev-log\"\n" + log_section_and_sinks));
}

std::vector<std::string> FaultSet::Args() const {
  return {"--services", dir_ / "services", "--config", dir_ / "steward.toml", "--runtime-dir",
          dir_ / "run", "--shutdown-timeout", "30s"};
}

DevLog::DevLog(const std::string& path) : path_(path) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct timeval tv = {30, 0};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

DevLog::~DevLog() { close(fd_); }

int DevLog::Send(const std::string& datagram) {
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  if (path_.size() >= sizeof sa.sun_path) return ENAMETOOLONG;
  memcpy(sa.sun_path, path_.c_str(), path_.size());
  for (;;) {
    ssize_t n = sendto(fd_, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
    if (n >= 0) return 0;
    if (errno == EINTR) continue;
    return errno;
  }
}

CtlResult RunCtl(const std::string& runtime_dir, const std::vector<std::string>& args) {
  TempDir tmp;
  std::string out = tmp / "out", err = tmp / "err";
  std::vector<std::string> a = {StewardBin(), "ctl"};
  a.insert(a.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    setenv("STEWARD_RUNTIME_DIR", runtime_dir.c_str(), 1);
    execv(argv[0], argv.data());
    _exit(126);
  }
  CtlResult r;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int st;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      r.err = "(timed out)";
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

long RssKiB(pid_t pid) {
  for (const std::string& l : Lines(ReadFile("/proc/" + std::to_string(pid) + "/status"))) {
    if (l.rfind("VmRSS:", 0) == 0) return atol(l.c_str() + 6);
  }
  return 0;
}

pid_t ForwarderOf(pid_t steward) {
  for (pid_t c : Children(steward)) {
    if (ReadFile("/proc/" + std::to_string(c) + "/comm") == "steward-log\n") return c;
  }
  return 0;
}

void ExpectNoSanitizerReport(const Process& p) {
  EXPECT_EQ(std::string::npos, p.Stderr().find("Sanitizer")) << p.Stderr();
  EXPECT_EQ(std::string::npos, p.Stderr().find("runtime error:")) << p.Stderr();
}

}  // namespace steward::testing
