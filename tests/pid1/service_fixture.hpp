// The fixture the Service tests share (service_test.cpp,
// service_restart_test.cpp): a Service on the one fake host, driven to any
// state through its public events. Not in an anonymous namespace: every
// test of the suite uses this one class.
#pragma once

#include <memory>
#include <utility>

#include <gtest/gtest.h>

#include "fake_service_host.hpp"
#include "service_config.hpp"
#include "steward/pid1/service.hpp"

namespace steward::testing_service {

inline int Exited(int code) { return code << 8; }
inline int Signaled(int sig) { return sig; }

using FakeHost = testing::FakeServiceHost;

inline ServiceConfig Longrun() {
  ServiceConfig c = testing::Longrun("web");
  c.command.argv = {"/bin/true"};
  return c;
}

inline ServiceConfig Oneshot() {
  ServiceConfig c = testing::Oneshot("migrate");
  c.command.argv = {"/bin/true"};
  return c;
}

class ServiceTest : public ::testing::Test {
 protected:
  FakeHost host;
  std::unique_ptr<Service> svc;

  void Make(ServiceConfig c, KillMode mode = KillMode::kGroup) {
    svc = std::make_unique<Service>(std::move(c), mode, &host);
  }
  // Drives the service to a state through the public events only.
  void Reach(State s) {
    if (s == State::kStopped) return;
    svc->Handle(Event::kStart);
    if (s == State::kStarting) return;
    if (s == State::kBlocked) return svc->Handle(Event::kBlock);
    svc->Handle(Event::kDepsReady);
    if (s == State::kRunning || s == State::kReady) {
      if (svc->state() == State::kRunning && s == State::kReady) svc->Handle(Event::kReady);
      return;
    }
    if (s == State::kStopping) return svc->Handle(Event::kStop);
    if (s == State::kExited) return svc->Handle(Event::kExit, Exited(0));
    if (s == State::kBackoff || s == State::kFailed) return svc->Handle(Event::kExit, Exited(1));
  }
};

}  // namespace steward::testing_service
