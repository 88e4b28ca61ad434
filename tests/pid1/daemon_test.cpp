// Daemonizing services: /proc reading, leftovers, the message, pid files.
#include "steward/pid1/daemon.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace steward {
namespace {

TEST(DaemonTest, ProcInfoOfThisProcess) {
  ProcInfo info;
  ASSERT_TRUE(ReadProcInfo(getpid(), &info));
  EXPECT_EQ(getpgrp(), info.pgid);
  EXPECT_EQ(getuid(), info.uid);
  EXPECT_LE(info.start_ticks, BootTicks());
  EXPECT_FALSE(ReadProcInfo(4000000, &info));
}

TEST(DaemonTest, LeftoversAreThoseStartedSinceAndNotClaimed) {
  // Start ticks have 1/CLK_TCK resolution: this process may have started in
  // the current tick. Begin once the clock has moved past our own start, so
  // that "since" leaves us out by the rule, not by luck.
  ProcInfo self;
  ASSERT_TRUE(ReadProcInfo(getpid(), &self));
  while (BootTicks() <= self.start_ticks) usleep(1000);
  unsigned long long since = BootTicks();
  pid_t a = fork();
  if (a == 0) {
    pause();
    _exit(0);
  }
  pid_t b = fork();
  if (b == 0) {
    pause();
    _exit(0);
  }
  EXPECT_EQ((std::vector<pid_t>{a}),
            Leftovers({a, b, getpid(), 4000000}, since,
                      [&](pid_t pid, const ProcInfo&) { return pid == b; }));
  kill(a, SIGKILL);
  kill(b, SIGKILL);
  waitpid(a, nullptr, 0);
  waitpid(b, nullptr, 0);
}

TEST(DaemonTest, MessageNamesTheServiceTheTimeThePidsAndTheFix) {
  EXPECT_EQ("pgctl: exited 0 after 0.2 s leaving pid 15 running: it may have daemonized; run it "
            "in the foreground (or set pid_file to supervise the daemon by its pid file)",
            DaemonizedMessage("pgctl", 0.21, {15}));
  EXPECT_EQ("app: exited 0 after 3.0 s leaving pids 15, 16 running: it may have daemonized; run "
            "it in the foreground (or set pid_file to supervise the daemon by its pid file)",
            DaemonizedMessage("app", 3, {15, 16}));
}

class PidFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content) {
    std::string path = dir_ + "/app.pid";
    std::ofstream(path) << content;
    return path;
  }
  testing::TempDir tmp_{"pidfile"};
  std::string dir_ = tmp_.path();
};

TEST_F(PidFileTest, OneNumberWithWhitespaceIsThePid) {
  std::string err;
  EXPECT_EQ(1234, ReadPidFile(Write("1234\n"), &err)) << err;
  EXPECT_EQ(77, ReadPidFile(Write("  77 \r\n"), &err)) << err;
}

TEST_F(PidFileTest, AnythingElseIsNamed) {
  std::string err;
  for (const char* bad : {"", "abc\n", "12 34\n", "0\n", "1\n", "-5\n", "99999999999\n"}) {
    EXPECT_EQ(-1, ReadPidFile(Write(bad), &err)) << bad;
    EXPECT_EQ(dir_ + "/app.pid: not a process id", err) << bad;
  }
  EXPECT_EQ(-1, ReadPidFile(dir_ + "/missing.pid", &err));
  EXPECT_NE(std::string::npos, err.find(dir_ + "/missing.pid")) << err;
}

TEST_F(PidFileTest, ALinkAServiceCouldPlantIsNotFollowedAndSizeIsBounded) {
  chmod(dir_.c_str(), 0777);  // a directory a service can write
  std::ofstream(dir_ + "/target") << "1234\n";
  ASSERT_EQ(0, symlink((dir_ + "/target").c_str(), (dir_ + "/link.pid").c_str()));
  std::string err;
  EXPECT_EQ(-1, ReadPidFile(dir_ + "/link.pid", &err));
  EXPECT_EQ(-1, ReadPidFile(Write(std::string(100, '1')), &err));
  ASSERT_EQ(0, mkfifo((dir_ + "/fifo.pid").c_str(), 0666));
  EXPECT_EQ(-1, ReadPidFile(dir_ + "/fifo.pid", &err));  // and does not block
}

}  // namespace
}  // namespace steward
