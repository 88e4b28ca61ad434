// The LogHubReloadTest fixture the reload tests share (hub_reload*_test.cpp): numbered lines, sinks, followers.
#pragma once

#include "hub_fixture.hpp"

#include <dirent.h>
#include <sys/un.h>

namespace steward::testing::loghub {

inline constexpr int kLines = 30000;

inline SinkConfig FileSinkAt(const std::string& name, const std::string& path) {
  SinkConfig s;
  s.name = name;
  s.type = SinkConfig::Type::kFile;
  s.path = path;
  return s;
}

// "" when numbers are exactly first, first+1, ..., last.
inline std::string Span(const std::vector<int>& numbers, int first, int last) {
  if (numbers.size() != size_t(last - first + 1)) {
    return fmt::format("{} numbers, want {} ({}..{})", numbers.size(), last - first + 1, first, last);
  }
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != first + int(i)) return fmt::format("at {}: {}, want {}", i, numbers[i], first + int(i));
  }
  return "";
}

// Where the descriptors of pid point.
inline std::vector<std::string> OpenFiles(pid_t pid) {
  std::vector<std::string> out;
  std::string dir = fmt::format("/proc/{}/fd", pid);
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    char target[4096];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n > 0) out.emplace_back(target, size_t(n));
  }
  closedir(d);
  return out;
}

// Forks a child that sends `count` datagrams "<14>job: PREFIX-N" to the
// unix datagram socket at path, pausing pause_us every 10, then exits 0.
inline pid_t SendDatagrams(const std::string& path, const std::string& prefix, int count, int pause_us) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  for (int i = 1; i <= count; ++i) {
    std::string d = fmt::format("<14>job: {}-{}", prefix, i);
    while (sendto(fd, d.data(), d.size(), 0, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) < 0) {
      if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) _exit(1);
      usleep(1000);
    }
    if (pause_us && i % 10 == 0) usleep(useconds_t(pause_us));
  }
  _exit(0);
}

class LogHubReloadTest : public LogHubTest {
 protected:
  // Starts "web" writing kLines numbered lines, slowly enough that the
  // reload comes in the middle, and reconfigures once some have arrived.
  pid_t WriteAndReconfigure(const LogConfig& next, const std::string& seen_in) {
    Fds web = Attach("web");
    pid_t writer = WriteLines(web.out, "n", kLines, 1000, 10);
    EXPECT_TRUE(driver_.RunUntil([&] { return Numbers(Lines(ReadFile(seen_in)), "n").size() >= 2000; }));
    old_forwarder_ = hub_->forwarder_pid();
    hub_->Reconfigure(next);
    EXPECT_TRUE(hub_->handing_over());
    EXPECT_TRUE(driver_.RunUntil([&] {
      return !hub_->handing_over() && hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != old_forwarder_;
    }));
    EXPECT_TRUE(driver_.Exited(old_forwarder_));
    EXPECT_EQ(0, driver_.Status(old_forwarder_)) << "the old forwarder exits 0 after its handover";
    new_forwarder_ = hub_->forwarder_pid();
    return writer;
  }

  // Every number exactly once, in order.
  void ExpectAll(const std::string& text, const char* where) {
    std::vector<int> n = Numbers(Lines(text), "n");
    EXPECT_EQ("", Span(n, 1, kLines)) << where;
  }

  pid_t old_forwarder_ = 0, new_forwarder_ = 0;
};

// Waits until rsyslog's file stops growing (it writes a little after its
// kernel acknowledged), then returns its numbers.
inline std::vector<int> Settled(Rsyslog& rsyslog, LoopDriver& driver, size_t at_least) {
  std::vector<int> got;
  size_t last = size_t(-1);
  driver.RunUntil([&] {
    got = Numbers(rsyslog.ReceivedLines(), "n");
    bool stable = got.size() == last && got.size() >= at_least;
    last = got.size();
    if (!stable) driver.RunFor(std::chrono::milliseconds(500));
    return stable;
  }, std::chrono::seconds(60));
  return got;
}

// A `ctl logs` client: reads what the forwarder writes to it.
struct Follower {
  Follower() {
    int sv[2];
    EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    mine.Reset(sv[0]);
    theirs.Reset(sv[1]);
    fcntl(mine.get(), F_SETFL, O_NONBLOCK);
  }
  const std::string& Read() {
    char buf[65536];
    ssize_t n;
    while ((n = read(mine.get(), buf, sizeof buf)) > 0) got.append(buf, size_t(n));
    return got;
  }
  UniqueFd mine, theirs;
  std::string got;
};

}  // namespace steward::testing::loghub
