// Sink faults against the real binary as PID 1 (SPEC §5 "Delivery
// guarantees", docs/LOGGING.md "Error classes"): a permanent error drops
// the record for that sink only and the sink goes on; a full disk blocks
// and loses nothing once space returns, rotation included; a low
// descriptor limit in the forwarder does not stall the file sink.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <thread>

#include "fault_support.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Count(const std::string& prefix, int n) {
  return fmt::format("i=0; while [ $$i -lt {1} ]; do i=$$((i+1)); echo {0}-$$i; done", prefix, n);
}

TEST(FaultSink, PermanentErrorDropsForThatSinkOnlyAndIsAnnouncedOnce) {
  FaultSet set;
  // A name longer than any filesystem allows (NAME_MAX 255): ENAMETOOLONG.
  set.Global("console = \"prefixed\"\n"
             "[[log.sink]]\nname = \"long\"\ntype = \"file\"\npath = \"@DIR/logs/{service}-" +
             std::string(260, 'x') + ".log\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n");
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"" + Count("p", 100) + "; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Numbers(Lines(ReadFile(set.path("logs/app.log"))), "p").size() == 100; }))
      << p.Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(p.Stdout()), "p"), 100, false));
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "long: dropped").empty(); })) << p.Stderr();
  CtlResult st;
  ASSERT_TRUE(WaitFor([&] {
    st = RunCtl(set.path("run"), {"status"});
    // app's 100 lines and steward's own `app: started (pid 3)`.
    return !Grep(st.out, "long ").empty() && Grep(st.out, "long ")[0].find(" 101") != std::string::npos;
  })) << st.out << st.err;
  // Announced once per cause, in the log stream of the other sinks too.
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: long: cannot open").size()) << p.Stderr();
  EXPECT_NE(std::string::npos, Grep(p.Stderr(), "long: cannot open")[0].find("File name too long"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "long: dropped").size()) << p.Stderr();
  EXPECT_EQ(1u, Grep(ReadFile(set.path("logs/steward.log")), "steward: warning: long: cannot open").size());
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

// The test's own mount namespace, so that a tiny tmpfs can be mounted on
// a test directory without touching the machine's mounts; steward's
// namespace is a copy of it and sees the same tmpfs.
bool PrivateMounts() {
  return unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

// Fills the filesystem of dir, then frees `leave` bytes; returns the filler's path.
std::string Fill(const std::string& dir, off_t leave) {
  std::string filler = dir + "/filler";
  int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::string block(4096, 'f');
  off_t total = 0;
  for (ssize_t w; (w = write(fd, block.data(), block.size())) > 0;) total += w;
  EXPECT_EQ(0, ftruncate(fd, total > leave ? total - leave : 0));
  close(fd);
  return filler;
}

TEST(FaultSink, FullDiskBlocksThenLosesNothingAndRotatesWhileFull) {
  ASSERT_TRUE(PrivateMounts()) << strerror(errno);
  FaultSet set;
  std::string logs = set.path("logs");
  mkdir(logs.c_str(), 0755);
  ASSERT_EQ(0, mount("tmpfs", logs.c_str(), "tmpfs", 0, "size=1m")) << strerror(errno);
  std::string filler = Fill(logs, 40 << 10);  // room for two 16 KiB files, then full
  const int n = 5000;
  set.Global("console = \"prefixed\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n"
             "rotate_size = \"16KiB\"\nkeep = 40\n");
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"" + Count("f", n) + "; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "No space left on device").empty(); })) << p.Stderr();
  EXPECT_TRUE(Exists(logs + "/app.log.1")) << "rotated while filling";
  // Blocked, as Docker's blocking mode: the console is held with the file.
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(std::string::npos, p.Stdout().find(fmt::format("f-{}\n", n)));
  unlink(filler.c_str());  // space returns
  auto all = [&] {
    std::string text;
    for (int i = 40; i >= 1; --i) text += ReadFile(logs + fmt::format("/app.log.{}", i));
    return text + ReadFile(logs + "/app.log");
  };
  ASSERT_TRUE(WaitFor([&] { return all().find(fmt::format(" f-{}\n", n)) != std::string::npos; }, seconds(60)))
      << p.Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(all()), "f"), n, false));
  EXPECT_EQ(size_t(n), Numbers(Lines(all()), "f").size());
  EXPECT_EQ("", CheckSequence(Numbers(Lines(p.Stdout()), "f"), n, false));
  EXPECT_EQ(1u, Grep(p.Stderr(), "files: writing " + logs + "/app.log again").size()) << p.Stderr();
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  umount2(logs.c_str(), MNT_DETACH);
  ExpectNoSanitizerReport(p);
}

// A low `ulimit -n` for steward and its forwarder: the file sink gives idle
// descriptors back instead of waiting for good on EMFILE.
TEST(FaultSink, LowDescriptorLimitDoesNotStallTheFileSink) {
  FaultSet set;
  set.Global("console = \"off\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n");
  for (int i = 0; i < 4; ++i) {
    set.Add(fmt::format("s{}", i), "command = [\"/bin/sh\", \"-c\", \"echo up; exec sleep 100\"]\n");
  }
  struct rlimit old, low = {64, 64};
  getrlimit(RLIMIT_NOFILE, &old);
  ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
  Process p(set.Args());
  setrlimit(RLIMIT_NOFILE, &old);
  ASSERT_TRUE(WaitFor([&] { return Exists(set.dev_log()); })) << p.Stderr();
  DevLog log(set.dev_log());
  const int tags = 60;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < tags; ++i) {
      ASSERT_EQ(0, log.Send(fmt::format("<14>tag{}: r{}-m{}", i, round, i)));
    }
  }
  for (int i = 0; i < tags; ++i) {
    ASSERT_TRUE(WaitFor([&] { return ReadFile(set.path(fmt::format("logs/tag{}.log", i))).find(fmt::format("r2-m{}", i)) != std::string::npos; }))
        << i << p.Stderr();
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(WaitFor([&] { return ReadFile(set.path(fmt::format("logs/s{}.log", i))).find(" up") != std::string::npos; }))
        << i << p.Stderr();
  }
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
