// Shared by the log tests (tests/log/hub/, tests/integration/): free ports
// and daemons a test starts and ends, a libev loop driver that reaps like the supervisor does, line writers in child
// processes, and a small JSON reader to parse console records back.
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace steward::testing {

// A port free for both TCP and UDP on 127.0.0.1.
uint16_t FreePort();
// Whether process `pid` itself holds the TCP socket listening on
// 127.0.0.1:port (/proc/net/tcp and /proc/PID/fd): a connect() alone may be
// answered by a process that had the port before.
bool ListensOn(pid_t pid, uint16_t port);
// waitpid(pid) for up to 30 s: true once reaped.
bool WaitChild(pid_t pid);
// Waits for a daemon the test started (wait_exit: true once reaped),
// after sending it `sig`; when it is still there, SIGKILLs and reaps it and
// fails the test naming `what`, so that no daemon outlives its test or
// keeps its port.
void EndDaemon(pid_t pid, int sig, const std::function<bool(pid_t)>& wait_exit, const std::string& what);
// rsyslogd's global() parameter that keeps its own messages ("exiting on
// signal 15", bind errors) inside it instead of syslog(3) to the machine's
// /dev/log: a /dev/log whose reader is stuck blocks rsyslogd there, and it
// then never exits on SIGTERM.
inline constexpr char kRsyslogOwnMessages[] = "processInternalMessages=\"on\"";
bool PortOpen(uint16_t port);

// Drives the default libev loop for a test, reaping every child with one
// ev_child on pid 0, as the supervisor does, and telling `on_exit` first.
class LoopDriver {
 public:
  LoopDriver();
  ~LoopDriver();
  struct ev_loop* loop() const { return loop_; }
  // Runs the loop until pred() or timeout; returns pred().
  bool RunUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void RunFor(std::chrono::milliseconds d);
  bool Exited(pid_t pid) const { return statuses_.count(pid) > 0; }
  int Status(pid_t pid) const { return statuses_.at(pid); }
  bool WaitExit(pid_t pid) { return RunUntil([&] { return Exited(pid); }); }
  std::function<void(pid_t, int)> on_exit;

 private:
  static void OnChild(struct ev_loop* loop, ev_child* w, int revents);
  static void OnTick(struct ev_loop* loop, ev_timer* w, int revents);
  struct ev_loop* loop_;
  ev_child child_;
  ev_timer tick_;
  std::map<pid_t, int> statuses_;
};

// Forks a child that writes `count` lines "PREFIX-N" (N from 1) to fd,
// `batch` lines per write(2) with a pause of pause_us after each write, then
// exits. Returns its pid.
pid_t WriteLines(int fd, const std::string& prefix, int count, int pause_us = 0, int batch = 100);
// Forks a child that writes data to fd and exits.
pid_t WriteData(int fd, const std::string& data);

// "PREFIX-N" numbers found in lines, in order of appearance.
std::vector<int> Numbers(const std::vector<std::string>& lines, const std::string& prefix);
// Checks that numbers holds every one of 1..count at least once and that
// the first appearances are in increasing order; "" when so, else what is wrong.
std::string CheckSequence(const std::vector<int>& numbers, int count, bool allow_repeats);

// A flat JSON object, values as text (strings decoded). False when the text
// is not valid JSON of that shape.
bool ParseFlatJson(const std::string& text, std::map<std::string, std::string>* out);

}  // namespace steward::testing
