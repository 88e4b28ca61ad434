// Hostile /dev/log input against the real binary as PID 1 (SPEC §5
// "/dev/log": untrusted; docs/LOGGING.md "Hostile input"): long tags,
// tags that are paths, floods of malformed datagrams. /dev/log must keep
// taking datagrams, the forwarder must not die, every valid message arrives.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <iostream>
#include <random>

#include "fault_support.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::seconds;

std::string Bsd(const std::string& tag, const std::string& msg) {
  return "<14>Nov 25 20:31:02 " + tag + "[7]: " + msg;
}

// The defect of issue 11: a 300-byte tag made `{service}.log` a name the
// filesystem refuses; the file sink then waited for good, /dev/log was no
// longer read, and every later syslog() call hung.
TEST(FaultSyslog, LongTagIsCutAndDevLogKeepsBeingRead) {
  LogSet set;
  set.Global("console = \"prefixed\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n");
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"sleep 2; echo app-after; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.dev_log()); })) << p.Stderr();
  DevLog log(set.dev_log());
  ASSERT_EQ(0, log.Send(Bsd(std::string(300, 'a'), "hello-long")));
  ASSERT_EQ(0, log.Send(Bsd("after", "after-long")));
  ASSERT_TRUE(WaitFor([&] {
    return p.Stdout().find("after-long") != std::string::npos &&
           p.Stdout().find("app-after") != std::string::npos;
  })) << p.Stdout() << p.Stderr();
  std::string cut(48, 'a');
  ASSERT_TRUE(WaitFor([&] { return ReadFile(set.path("logs/after.log")).find("after-long") != std::string::npos; }));
  EXPECT_NE(std::string::npos, ReadFile(set.path("logs/" + cut + ".log")).find(cut + " syslog hello-long"))
      << ReadFile(set.path("logs/" + cut + ".log"));
  EXPECT_EQ(1u, Grep(p.Stdout(), cut + " | hello-long").size()) << p.Stdout();
  EXPECT_NE(std::string::npos, ReadFile(set.path("logs/app.log")).find("app-after"));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

// Tags are cut and cleaned before they name a file: no '/' escape, no
// control bytes, no name past 48 bytes; past 64 tags, `{service}` = syslog.
TEST(FaultSyslog, TagsBecomeSafeBoundedFileNames) {
  LogSet set;
  set.Global("console = \"off\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n");
  set.Add("app", "command = [\"sleep\", \"100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.dev_log()); })) << p.Stderr();
  DevLog log(set.dev_log());
  ASSERT_EQ(0, log.Send(Bsd("../../escape", "m-escape")));
  ASSERT_EQ(0, log.Send(Bsd("ctl\x01\x7f\xc3\xa9", "m-ctl")));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(0, log.Send(Bsd(fmt::format("t{}", i), fmt::format("m-t{}", i))));
  ASSERT_TRUE(WaitFor([&] { return ReadFile(set.path("logs/syslog.log")).find("m-t99") != std::string::npos; }))
      << p.Stderr();
  EXPECT_NE(std::string::npos, ReadFile(set.path("logs/.._.._escape.log")).find("m-escape"));
  EXPECT_NE(std::string::npos, ReadFile(set.path("logs/ctl____.log")).find("m-ctl"));
  // Two tags above took two of the 64 names: t0..t61 have files, the rest share syslog.log.
  EXPECT_NE(std::string::npos, ReadFile(set.path("logs/t61.log")).find("m-t61"));
  EXPECT_FALSE(Exists(set.path("logs/t62.log")));
  std::string shared = ReadFile(set.path("logs/syslog.log"));
  for (int i = 62; i < 100; ++i) EXPECT_NE(std::string::npos, shared.find(fmt::format(" t{} syslog m-t{}\n", i, i))) << i;
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

// 20,000 hostile datagrams (empty, huge, binary, malformed PRI, long and
// strange tags) with 1,000 valid ones mixed in: every send is taken, the
// forwarder never dies, every valid message arrives once and in order.
TEST(FaultSyslog, TwentyThousandHostileDatagramsWithValidOnesMixedIn) {
  LogSet set;
  set.Global("console = \"off\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n");
  set.Add("app", "command = [\"sleep\", \"1000\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.dev_log()) && ForwarderOf(p.pid()) > 0; })) << p.Stderr();
  pid_t fwd = ForwarderOf(p.pid());
  long before = RssKiB(p.pid());
  DevLog log(set.dev_log());
  std::mt19937 rng(11);
  auto bytes = [&](size_t n, int lo, int hi) {
    std::string out(n, '\0');
    for (char& c : out) c = char(std::uniform_int_distribution<int>(lo, hi)(rng));
    return out;
  };
  const int hostile = 20000, every = 20;
  int valid = 0;
  for (int i = 0; i < hostile; ++i) {
    std::string d;
    switch (i % 7) {
      case 0: d = ""; break;
      case 1: d = bytes(std::uniform_int_distribution<size_t>(1, 2000)(rng), 0, 255); break;
      case 2: d = "<" + bytes(std::uniform_int_distribution<size_t>(0, 6)(rng), 0, 255) + ">x"; break;
      case 3: d = "<14>Nov 25 20:31:02 " + bytes(300, 33, 126) + "[1]: long tag"; break;
      case 4: d = "<14>1 - - " + bytes(200, 0, 255) + " - - [unterminated sd"; break;
      case 5: d = "<191>Nov 25 20:31:02 " + bytes(20, 0, 255) + ": " + bytes(100, 0, 255); break;
      case 6: d = (i % 700 == 6) ? bytes(100 << 10, 32, 126) : "<9999999999>"; break;
    }
    ASSERT_EQ(0, log.Send(d)) << "datagram " << i << " (" << d.size() << " bytes)";
    if (i % every == 0) {
      ++valid;
      ASSERT_EQ(0, log.Send(Bsd("valid", fmt::format("v-{}", valid))));
    }
  }
  ASSERT_TRUE(WaitFor([&] {
    return ReadFile(set.path("logs/valid.log")).find(fmt::format(" v-{}\n", valid)) != std::string::npos;
  }, seconds(120))) << p.Stderr();
  std::vector<int> got = Numbers(Lines(ReadFile(set.path("logs/valid.log"))), "v");
  EXPECT_EQ("", CheckSequence(got, valid, false));
  EXPECT_EQ(size_t(valid), got.size());
  EXPECT_EQ(fwd, ForwarderOf(p.pid())) << "the forwarder died";
  long after = RssKiB(p.pid());
  std::cout << "VmRSS of PID 1, 20,000 hostile datagrams: before " << before << " KiB, after " << after
            << " KiB; forwarder " << RssKiB(fwd) << " KiB\n";
  EXPECT_LT(after, before + (8L << 10) * kRssScale);
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
