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
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <thread>
#include <utility>

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
  LogSet set;
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
  // One cause per file: app's, and the one of steward's own records.
  for (const char* file : {"app", "steward"}) {
    std::string cause = "steward: warning: long: cannot open " + set.path("logs/") + file + "-";
    EXPECT_EQ(1u, Grep(p.Stderr(), cause).size()) << p.Stderr();
    EXPECT_EQ(1u, Grep(ReadFile(set.path("logs/steward.log")), cause).size());
  }
  EXPECT_NE(std::string::npos, Grep(p.Stderr(), "long: cannot open")[0].find("File name too long"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "long: dropped").size()) << p.Stderr();
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

// overflow = "block": past the 4KiB backlog, as Docker's blocking mode,
// the forwarder stops reading the service's pipe, so the console is held
// with the file. The hold begins at the batch that fills the backlog, and
// that batch still reaches the console: steward does not wait for its
// forwarder before starting the services (the pipe holds 1 MiB), and an
// exec'd forwarder that starts slower than app writes its f-lines (under
// AddressSanitizer, every run) reads all of them in one batch, before the
// disk is found full. So the lines that must be held are written after the
// disk is full (g-), and the console is read once `witness`, a service the
// file sink does not take, has printed after them.
TEST(FaultSink, FullDiskWithOverflowBlockBlocksThenLosesNothingAndRotatesWhileFull) {
  ASSERT_TRUE(PrivateMounts()) << strerror(errno);
  LogSet set;
  std::string logs = set.path("logs");
  mkdir(logs.c_str(), 0755);
  ASSERT_EQ(0, mount("tmpfs", logs.c_str(), "tmpfs", 0, "size=1m")) << strerror(errno);
  std::string filler = Fill(logs, 40 << 10);  // room for two 16 KiB files, then full
  const int n = 5000, m = 1000;
  set.Global("console = \"prefixed\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n"
             "rotate_size = \"16KiB\"\nkeep = 40\nbuffer = \"4KiB\"\noverflow = \"block\"\n"
             "services = [\"app\"]\n");
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"" + Count("f", n) +
                     "; while [ ! -e @DIR/go ]; do sleep 0.02; done; " + Count("g", m) +
                     "; touch @DIR/written; exec sleep 100\"]\n");
  set.Add("witness", "command = [\"/bin/sh\", \"-c\", \"while [ ! -e @DIR/written ]; do sleep 0.02; "
                     "done; echo after-g; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "No space left on device").empty(); })) << p.Stderr();
  EXPECT_TRUE(Exists(logs + "/app.log.1")) << "rotated while filling";
  WriteFile(set.path("go"), "");
  // witness's line comes after every g-line reached app's pipe: had the
  // forwarder read them, they would be on the console before it.
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("| after-g\n") != std::string::npos; })) << p.Stderr();
  EXPECT_EQ(0u, Numbers(Lines(p.Stdout()), "g").size()) << "the console was not held while the disk is full";
  unlink(filler.c_str());  // space returns
  auto all = [&] {
    std::string text;
    for (int i = 40; i >= 1; --i) text += ReadFile(logs + fmt::format("/app.log.{}", i));
    return text + ReadFile(logs + "/app.log");
  };
  ASSERT_TRUE(WaitFor([&] { return all().find(fmt::format(" g-{}\n", m)) != std::string::npos; }, seconds(60)))
      << p.Stderr();
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find(fmt::format("| g-{}\n", m)) != std::string::npos; }))
      << p.Stderr();
  for (auto [prefix, count] : {std::pair<const char*, int>{"f", n}, {"g", m}}) {
    EXPECT_EQ("", CheckSequence(Numbers(Lines(all()), prefix), count, false)) << prefix;
    EXPECT_EQ(size_t(count), Numbers(Lines(all()), prefix).size()) << prefix;
    EXPECT_EQ("", CheckSequence(Numbers(Lines(p.Stdout()), prefix), count, false)) << prefix;
  }
  EXPECT_EQ(1u, Grep(p.Stderr(), "files: writing " + logs + "/app.log again").size()) << p.Stderr();
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  umount2(logs.c_str(), MNT_DETACH);
  ExpectNoSanitizerReport(p);
}

// A low `ulimit -n` for steward and its forwarder: the file sink gives idle
// descriptors back instead of waiting for good on EMFILE.
TEST(FaultSink, LowDescriptorLimitDoesNotStallTheFileSink) {
  LogSet set;
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

// Issue 24.1: a file sink whose directory is a read-only bind mount holds
// back only itself. The console and another file sink get every numbered
// line, `ctl status` shows the problem, the sink picks up once the path is
// writable again, and a stop while a sink is in trouble does not wait for
// it. (A bind mount cannot be made read-only again while the sink holds a
// file open for writing there, so the stop is tried with a second one.)
TEST(FaultSink, AReadOnlyDirectoryHoldsBackOnlyItsOwnSink) {
  ASSERT_TRUE(PrivateMounts()) << strerror(errno);
  LogSet set;
  std::string ro = set.path("ro"), ro2 = set.path("ro2");
  auto read_only = [&](const std::string& dir, bool on) {
    return mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | (on ? MS_RDONLY : 0), nullptr) == 0;
  };
  for (const std::string& dir : {ro, ro2}) {
    mkdir(dir.c_str(), 0755);
    ASSERT_EQ(0, mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr)) << strerror(errno);
    ASSERT_TRUE(read_only(dir, true)) << strerror(errno);
  }
  const int n = 2000;
  set.Global("console = \"prefixed\"\n"
             "[[log.sink]]\nname = \"stuck\"\ntype = \"file\"\npath = \"@DIR/ro/{service}.log\"\n"
             "[[log.sink]]\nname = \"never\"\ntype = \"file\"\npath = \"@DIR/ro2/{service}.log\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n");
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"" + Count("a", n) + "; exec sleep 100\"]\n");
  Process p(set.Args());
  std::string file = ro + "/app.log", file2 = ro2 + "/app.log";
  std::string problem = "cannot open " + file + ": Read-only file system";
  std::string problem2 = "cannot open " + file2 + ": Read-only file system";
  ASSERT_TRUE(WaitFor([&] { return Numbers(Lines(ReadFile(set.path("logs/app.log"))), "a").size() == n; }))
      << p.Stderr();
  ASSERT_TRUE(WaitFor([&] { return Numbers(Lines(p.Stdout()), "a").size() == n; })) << p.Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(p.Stdout()), "a"), n, false));
  EXPECT_EQ(1u, Grep(p.Stderr(), "stuck: " + problem +
                                     " (make the directory writable by steward or change the "
                                     "sink's path); lines are kept and retried")
                    .size())
      << p.Stderr();
  CtlResult st;
  ASSERT_TRUE(WaitFor([&] {
    st = RunCtl(set.path("run"), {"status"});
    return !Grep(st.out, "stuck ").empty() && Grep(st.out, "stuck ")[0].find(problem) != std::string::npos &&
           !Grep(st.out, "never ").empty() && Grep(st.out, "never ")[0].find(problem2) != std::string::npos;
  })) << st.out << st.err;
  // Writable again, in steward's copy of the mounts (its namespace is
  // private): the back-off retry picks it up, nothing lost.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int ns = open(fmt::format("/proc/{}/ns/mnt", p.pid()).c_str(), O_RDONLY | O_CLOEXEC);
    _exit(ns >= 0 && setns(ns, CLONE_NEWNS) == 0 && read_only(ro, false) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "remount in steward's namespace";
  ASSERT_TRUE(WaitFor([&] { return Numbers(Lines(ReadFile(file)), "a").size() == n; })) << p.Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(file)), "a"), n, false));
  // steward's own line comes through the forwarder, a turn after the write.
  WaitFor([&] { return !Grep(p.Stderr(), "stuck: writing " + file + " again").empty(); });
  EXPECT_EQ(1u, Grep(p.Stderr(), "stuck: writing " + file + " again").size()) << p.Stderr();
  ASSERT_TRUE(WaitFor([&] {
    st = RunCtl(set.path("run"), {"status"});
    return st.out.find(problem) == std::string::npos && st.out.find(problem2) != std::string::npos;
  })) << st.out;
  // The stop does not wait for "never" (shutdown_timeout is 30 s), which
  // says what it loses.
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait(seconds(15))) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), fmt::format("never: {} records were never written to {} ({}); they are lost",
                                             n, file2, problem2))
                    .size())
      << p.Stderr();
  umount2(ro.c_str(), MNT_DETACH);
  umount2(ro2.c_str(), MNT_DETACH);
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
