// The fixture of the RELP and TLS tests (relp_test.cpp, tls_test.cpp): a
// real LogHub in the test process and a Collector (tests/support).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "collector.hpp"
#include "files.hpp"
#include "log_support.hpp"
#include "steward/log/hub.hpp"
#include "steward/util/fd.hpp"
#include "temp_dir.hpp"

namespace steward::testing {

// A real LogHub (and its forked forwarder) in the test process, with the
// console off and the forwarder's stderr in DIR/stderr, and a Collector,
// as hub_test.cpp does with rsyslog.
class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  void StartHub();
  struct Fds {
    int out = -1, err = -1;
  };
  Fds Attach(const std::string& name);
  void WaitAll(const std::vector<pid_t>& pids);
  bool Drain(std::chrono::seconds budget = std::chrono::seconds(60));
  std::string Stderr() { return ReadFile(dir_ / "stderr"); }
  // A sink named "central" of this type to scheme://127.0.0.1:PORT.
  SinkConfig Sink(SinkConfig::Type type, const std::string& scheme);
  // Runs the loop until the collector has count numbers with each prefix.
  std::vector<std::string> WaitReceived(const std::vector<std::string>& prefixes, int count,
                                        std::chrono::seconds budget = std::chrono::seconds(60));

  TempDir dir_;
  LoopDriver driver_;
  LogConfig cfg_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<log::LogHub> hub_;
  UniqueFd stderr_;
};

}  // namespace steward::testing
