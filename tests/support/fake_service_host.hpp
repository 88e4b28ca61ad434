// The one fake of ServiceHost (steward/pid1/service.hpp): a fake clock, a
// fake launcher and a record of every launch, signal and timer, so a
// Service's State x Event table is walked without a process. The
// Supervisor's fake host (tests/pid1/supervisor_fixture.hpp) is its own.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "steward/pid1/service.hpp"

namespace steward::testing {

class FakeServiceHost : public ServiceHost {
 public:
  pid_t next_pid = 100;
  bool launch_fails = false;
  int launch_exit_code = 127;
  bool launch_final = false;
  bool group_alive = false;
  bool stop_command_ok = true;
  Clock::time_point now{};
  std::vector<std::string> log;  // "kill 100 group SIGTERM", "timer 5000", ...
  std::vector<std::pair<State, State>> transitions;
  bool timer_set = false;
  Clock::duration timer{};

  pid_t Launch(Service&, LaunchFailure* f) override {
    if (launch_fails) {
      f->exit_code = launch_exit_code;
      f->final = launch_final;
      log.push_back("launch failed");
      return -1;
    }
    log.push_back("launch " + std::to_string(next_pid));
    return next_pid++;
  }
  void Kill(pid_t pid, bool group, int sig) override {
    log.push_back("kill " + std::to_string(pid) + (group ? " group " : " ") + std::to_string(sig));
  }
  bool RunStopCommand(Service&) override {
    log.push_back("stop_command");
    return stop_command_ok;
  }
  bool GroupAlive(pid_t) override { return group_alive; }
  void SetTimer(Service&, Clock::duration after) override {
    timer_set = true;
    timer = after;
  }
  void CancelTimer(Service&) override { timer_set = false; }
  Clock::time_point Now() override { return now; }
  void StateChanged(Service& s, State old) override { transitions.emplace_back(old, s.state()); }
  pid_t adopt_pid = -1;  // what AdoptDaemon finds in the pid file
  pid_t AdoptDaemon(Service&) override {
    log.push_back("adopt " + std::to_string(adopt_pid));
    return adopt_pid;
  }
};

}  // namespace steward::testing
