// The in-process LogHub fixture the log pipeline tests share (hub*_test.cpp).
#pragma once

#include "steward/log/hub.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "files.hpp"
#include "temp_dir.hpp"
#include "collector.hpp"
#include "log_support.hpp"

namespace steward::testing::loghub {


using log::LogHub;
using Clock = std::chrono::steady_clock;

// Lines of text that end with suffix.
inline std::vector<std::string> Ending(const std::string& text, const std::string& suffix) {
  std::vector<std::string> out;
  for (const std::string& l : Lines(text)) {
    if (l.size() >= suffix.size() && l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(l);
    }
  }
  return out;
}

inline std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class LogHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.syslog_socket = "";  // never the machine's /dev/log
    cfg_.partial_flush = Duration(200);
    rsyslog_ = std::make_unique<Rsyslog>(dir_.path());
    rsyslog_->wait_exit = [this](pid_t pid) { return driver_.WaitExit(pid); };
  }
  void TearDown() override {
    hub_.reset();
    rsyslog_.reset();
    // The forwarder's own stderr: under the sanitizers, its reports land here.
    EXPECT_EQ(std::string::npos, Stderr().find("Sanitizer")) << Stderr();
    EXPECT_EQ(std::string::npos, Stderr().find("runtime error:")) << Stderr();
  }

  void StartHub(const std::string& runtime_dir = "", int console_fd = -1) {
    console_ = console_fd >= 0 ? UniqueFd(console_fd)
                               : UniqueFd(open((dir_ / "console").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    stderr_ = UniqueFd(open((dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    hub_ = std::make_unique<LogHub>(driver_.loop(), cfg_, runtime_dir.empty() ? dir_ / "run" : runtime_dir);
    mkdir((dir_ / "run").c_str(), 0700);
    hub_->RedirectForwarderStdio(console_.get(), stderr_.get());
    driver_.on_exit = [this](pid_t pid, int status) {
      if (hub_) hub_->OnForwarderExit(pid, status);
    };
    std::string err;
    ASSERT_TRUE(hub_->Start(&err)) << err;
  }

  struct Fds {
    int out = -1, err = -1;
  };
  Fds Attach(const std::string& name, const ServiceLogConfig& cfg = {}) {
    Fds f;
    std::string err;
    EXPECT_TRUE(hub_->Attach(name, cfg, &f.out, &f.err, &err)) << err;
    return f;
  }

  void WaitAll(const std::vector<pid_t>& pids) {
    for (pid_t p : pids) {
      ASSERT_TRUE(driver_.RunUntil([&] { return driver_.Exited(p); }, std::chrono::seconds(60)));
      EXPECT_EQ(0, driver_.Status(p));
    }
  }

  bool Drain(std::chrono::seconds budget = std::chrono::seconds(20)) {
    bool done = false;
    hub_->Drain(Clock::now() + budget, [&] { done = true; });
    return driver_.RunUntil([&] { return done; }, budget + std::chrono::seconds(5));
  }

  std::string Console() { return ReadFile(dir_ / "console"); }
  std::string Stderr() { return ReadFile(dir_ / "stderr"); }

  SinkConfig Syslog(const std::string& scheme = "tcp") {
    SinkConfig s;
    s.name = "central";
    s.type = SinkConfig::Type::kSyslog;
    s.url = fmt::format("{}://127.0.0.1:{}", scheme, rsyslog_->port() ? rsyslog_->port() : FreePort());
    return s;
  }

  void SpoolCrash(bool in_memory) {
    cfg_.sinks = {Syslog("tcp")};  // nobody listens yet
    cfg_.console = LogConfig::Console::kOff;
    // A runtime directory under a regular file cannot be created.
    WriteFile(dir_ / "file", "");
    StartHub(in_memory ? dir_ / "file/run" : "");
    Fds web = Attach("web");
    WaitAll({WriteLines(web.out, "n", 3000)});
    driver_.RunFor(std::chrono::milliseconds(300));
    pid_t victim = hub_->forwarder_pid();
    kill(victim, SIGKILL);
    ASSERT_TRUE(driver_.RunUntil([&] { return hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != victim; }));
    std::string err;
    ASSERT_TRUE(rsyslog_->Start(&err)) << err;
    // Delivered before the drain, which does not wait for a sink in an
    // outage (SPEC §5). rsyslog writes its file a little after its
    // kernel acknowledged, later still on a loaded machine.
    std::vector<std::string> got;
    driver_.RunUntil([&] {
      got = rsyslog_->ReceivedLines();
      return Numbers(got, "n").size() >= 3000;
    }, std::chrono::seconds(60));
    ASSERT_TRUE(Drain(std::chrono::seconds(60)));
    EXPECT_EQ("", CheckSequence(Numbers(got, "n"), 3000, true));
    EXPECT_EQ(in_memory, !Exists(dir_ / "run/log/central.spool"));
  }

  TempDir dir_;
  LoopDriver driver_;
  LogConfig cfg_;
  std::unique_ptr<Rsyslog> rsyslog_;
  std::unique_ptr<LogHub> hub_;
  UniqueFd console_, stderr_;
};


}  // namespace steward::testing::loghub
