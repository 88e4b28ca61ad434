// The RELP and TLS tests' fixture (collector_fixture.hpp).
#include "collector_fixture.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

namespace steward::testing {

void CollectorTest::SetUp() {
  cfg_.syslog_socket = "";  // never the machine's /dev/log
  cfg_.console = LogConfig::Console::kOff;
  collector_ = std::make_unique<Collector>(dir_.path());
  collector_->wait_exit = [this](pid_t pid) { return driver_.WaitExit(pid); };
}

void CollectorTest::TearDown() {
  hub_.reset();
  collector_.reset();
  EXPECT_EQ(std::string::npos, Stderr().find("Sanitizer")) << Stderr();
  EXPECT_EQ(std::string::npos, Stderr().find("runtime error:")) << Stderr();
}

void CollectorTest::StartHub() {
  stderr_ = UniqueFd(open((dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  mkdir((dir_ / "run").c_str(), 0700);
  hub_ = std::make_unique<log::LogHub>(driver_.loop(), cfg_, dir_ / "run");
  hub_->RedirectForwarderStdio(stderr_.get(), stderr_.get());
  driver_.on_exit = [this](pid_t pid, int status) {
    if (hub_) hub_->OnForwarderExit(pid, status);
  };
  std::string err;
  ASSERT_TRUE(hub_->Start(&err)) << err;
}

CollectorTest::Fds CollectorTest::Attach(const std::string& name) {
  Fds f;
  std::string err;
  EXPECT_TRUE(hub_->Attach(name, ServiceLogConfig{}, &f.out, &f.err, &err)) << err;
  return f;
}

void CollectorTest::WaitAll(const std::vector<pid_t>& pids) {
  for (pid_t p : pids) {
    ASSERT_TRUE(driver_.RunUntil([&] { return driver_.Exited(p); }, std::chrono::seconds(120)));
    EXPECT_EQ(0, driver_.Status(p));
  }
}

bool CollectorTest::Drain(std::chrono::seconds budget) {
  bool done = false;
  hub_->Drain(std::chrono::steady_clock::now() + budget, [&] { done = true; });
  return driver_.RunUntil([&] { return done; }, budget + std::chrono::seconds(5));
}

SinkConfig CollectorTest::Sink(SinkConfig::Type type, const std::string& scheme) {
  SinkConfig s;
  s.name = "central";
  s.type = type;
  s.url = fmt::format("{}://127.0.0.1:{}", scheme, collector_->port());
  return s;
}

std::vector<std::string> CollectorTest::WaitReceived(const std::vector<std::string>& prefixes,
                                                     int count, std::chrono::seconds budget) {
  std::vector<std::string> got;
  driver_.RunUntil(
      [&] {
        got = collector_->ReceivedLines();
        for (const std::string& p : prefixes) {
          if (Count(Numbers(got, p), count).missing > 0) return false;
        }
        return true;
      },
      budget);
  return got;
}

}  // namespace steward::testing
