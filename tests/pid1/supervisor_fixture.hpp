// The Supervisor's policy walked with a fake host (shared by the unit tests
// of supervisor.cpp and supervisor_reload.cpp): no process, no loop, a
// record of every launch, signal and timer.
#pragma once

#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "steward/pid1/supervisor.hpp"

namespace steward {
namespace testing_support {

inline int Exited(int code) { return code << 8; }

// All three of the Supervisor's hosts, as ProcessHost is.
class FakeHost : public ServicesHost, public StopHost, public ReloadHost {
 public:
  Supervisor* sup = nullptr;  // told of every move, as ProcessHost tells it
  pid_t next_pid = 100;
  std::map<std::string, pid_t> pid_of;       // last launch of each service
  std::vector<std::string> log;              // "launch web", "kill web 15", ...
  std::vector<std::string> fail_launch;      // names whose launch fails
  std::map<std::string, bool> timer;         // service timers armed
  bool deadline = false, grace = false;
  int leftovers = 0;                         // processes of no service
  std::vector<int> leftover_signals;
  bool drain_requested = false;
  bool exited = false;
  Clock::time_point now{};

  std::string NameOf(pid_t pid) const {
    for (auto& [n, p] : pid_of)
      if (p == pid) return n;
    return "?";
  }
  pid_t Launch(Service& s, LaunchFailure* f) override {
    if (std::find(fail_launch.begin(), fail_launch.end(), s.name()) != fail_launch.end()) {
      f->exit_code = 127;
      log.push_back("launch-failed " + s.name());
      return -1;
    }
    log.push_back("launch " + s.name());
    return pid_of[s.name()] = next_pid++;
  }
  void Kill(pid_t pid, bool, int sig) override {
    if (sig == SIGCONT) return;
    log.push_back("kill " + NameOf(pid) + " " + std::to_string(sig));
  }
  bool RunStopCommand(Service&) override { return false; }
  bool GroupAlive(pid_t) override { return false; }
  std::map<std::string, Clock::duration> timer_after;  // the last one armed, per service
  void SetTimer(Service& s, Clock::duration after) override {
    timer[s.name()] = true;
    timer_after[s.name()] = after;
  }
  void CancelTimer(Service& s) override { timer[s.name()] = false; }
  Clock::time_point Now() override { return now; }
  int gone = 0;  // ProcessGone calls
  void ProcessGone(Service&) override { ++gone; }
  void StateChanged(Service& s, State old) override { sup->OnServiceMoved(s, old); }
  Health health = Health::kNone;  // what every probe says
  Health HealthOf(const Service&) const override { return health; }
  Clock::duration deadline_after{}, grace_after{};
  void StartTimer(Timer t, Clock::duration after) override {
    (t == Timer::kDeadline ? deadline : grace) = true;
    (t == Timer::kDeadline ? deadline_after : grace_after) = after;
  }
  void StopTimer(Timer t) override { (t == Timer::kDeadline ? deadline : grace) = false; }
  int SignalLeftovers(int sig) override {
    leftover_signals.push_back(sig);
    return leftovers;
  }
  bool LeftoversGone() override { return leftovers == 0; }
  Clock::time_point drain_deadline{};
  void DrainLogs(Clock::time_point deadline) override {
    drain_requested = true;
    drain_deadline = deadline;
  }
  void Exit() override { exited = true; }
  // Reload: the configuration ReadConfig returns next, or these errors.
  Config next_config;
  std::vector<std::string> read_errors;
  std::vector<std::string> added, removed;  // ServiceAdded/Removed by name
  int applied = 0, log_changes = 0, reads = 0;
  bool ReadConfig(Config* c, SupervisorSettings*, std::vector<std::string>* errors) override {
    ++reads;
    if (!read_errors.empty()) {
      *errors = read_errors;
      return false;
    }
    *c = next_config;
    return true;
  }
  void ServiceAdded(Service& s) override { added.push_back(s.name()); }
  void ServiceRemoved(Service& s) override { removed.push_back(s.name()); }
  void ConfigApplied(const Config&, bool log_changed) override {
    ++applied;
    log_changes += log_changed;
  }
};

inline ServiceConfig Svc(const std::string& name, std::vector<std::string> deps = {}) {
  ServiceConfig c;
  c.name = name;
  c.command.argv = {"/bin/" + name};
  c.depends_on = std::move(deps);
  c.restart = RestartPolicy::kNo;
  return c;
}

class SupervisorTest : public ::testing::Test {
 protected:
  FakeHost host;
  std::unique_ptr<Supervisor> sup;

  void Make(std::vector<ServiceConfig> services, SupervisorSettings settings = {}) {
    Config cfg;
    cfg.services = std::move(services);
    sup = std::make_unique<Supervisor>(settings, std::move(cfg), SupervisorHosts{&host, &host, &host});
    host.sup = sup.get();
    sup->Start();
    sup->Settle();
  }
  // The process of `name` exits with status.
  void Exit(const std::string& name, int status) {
    sup->OnReaped(host.pid_of.at(name), status);
    sup->Settle();
  }
  void Signal(int sig) {
    sup->OnSignal(sig);
    sup->Settle();
  }
  State StateOf(const std::string& name) {
    for (const ServiceStatus& st : sup->Status())
      if (st.name == name) return st.state;
    return State::kStopped;
  }
  std::vector<std::string> TakeLog() { return std::exchange(host.log, {}); }
};

}  // namespace testing_support
}  // namespace steward
