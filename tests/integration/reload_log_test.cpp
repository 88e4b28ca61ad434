// [log] changed by a reload while a service writes numbered lines (SPEC §4
// step 5), the real binary as PID 1: an unchanged sink sees every line once,
// a removed one a contiguous prefix, a changed one (new path) a prefix at
// the old path and the rest at the new one, a new rsyslog sink a contiguous
// suffix: none lost, none doubled.
#include <signal.h>

#include <thread>

#include "control_support.hpp"
#include "log_set.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The numbers are first..last, each once, in order; "" when so.
std::string Contiguous(const std::vector<int>& numbers) {
  for (size_t i = 1; i < numbers.size(); ++i) {
    if (numbers[i] != numbers[i - 1] + 1)
      return fmt::format("{} follows {} (at {} of {})", numbers[i], numbers[i - 1], i,
                         numbers.size());
  }
  return "";
}

std::vector<int> FileNumbers(const std::string& path) {
  return Numbers(Lines(ReadFile(path)), "n");
}

constexpr const char* kSinkA =
    "[[log.sink]]\nname = \"a\"\ntype = \"file\"\npath = \"@DIR/a.log\"\n";
constexpr const char* kSinkB =
    "[[log.sink]]\nname = \"b\"\ntype = \"file\"\npath = \"@DIR/b.log\"\n";

TEST(ReloadLog, SinksAddedRemovedAndChangedLoseAndRepeatNothing) {
  LogSet set;
  mkdir(set.path("rsl").c_str(), 0755);
  Rsyslog rsyslog(set.path("rsl"));
  std::string err;
  ASSERT_TRUE(rsyslog.Start(&err)) << err;
  set.Global(std::string("console = \"off\"\n") + kSinkA + kSinkB +
             "[[log.sink]]\nname = \"c\"\ntype = \"file\"\npath = \"@DIR/c-1.log\"\n");
  const int n = 20000;
  set.Add("count", "command = [\"/bin/sh\", \"-c\", \"" + NumberedLines("n", n, 50) +
                       "; exec sleep 1000\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return FileNumbers(set.path("a.log")).size() >= 3000; }, seconds(60)))
      << p.Stderr();
  ASSERT_LT(FileNumbers(set.path("a.log")).size(), size_t(n)) << "the writer was too fast to test";

  // a unchanged, b removed, c moved to a new path, r new.
  set.Global(std::string("console = \"off\"\n") + kSinkA +
             "[[log.sink]]\nname = \"c\"\ntype = \"file\"\npath = \"@DIR/c-2.log\"\n" +
             fmt::format("[[log.sink]]\nname = \"r\"\ntype = \"syslog\"\n"
                         "url = \"tcp://127.0.0.1:{}\"\n", rsyslog.port()));
  CtlResult r =
      Ctl({"--runtime-dir", set.path("run"), "reload"});
  EXPECT_EQ(0, r.code) << r.err << p.Stderr();
  EXPECT_EQ("reconfigured [log]\n", r.out);
  size_t at_reload = FileNumbers(set.path("a.log")).size();

  ASSERT_TRUE(WaitFor([&] { return FileNumbers(set.path("a.log")).size() >= size_t(n); },
                      seconds(120)))
      << p.Stderr();
  std::vector<std::string> central;
  WaitFor([&] {
    central = rsyslog.ReceivedLines();
    return !Numbers(central, "n").empty() && Numbers(central, "n").back() == n;
  }, seconds(60));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait()) << p.Stderr();

  // a: every line once.
  std::vector<int> a = FileNumbers(set.path("a.log"));
  EXPECT_EQ("", CheckSequence(a, n, false)) << "a";
  EXPECT_EQ(size_t(n), a.size());
  // b: from the first line up to the reload, each once, then closed.
  std::vector<int> b = FileNumbers(set.path("b.log"));
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(1, b.front());
  EXPECT_EQ("", Contiguous(b)) << "b";
  EXPECT_LT(b.size(), size_t(n));
  EXPECT_GE(b.size(), 3000u);
  // c: the old path up to the reload, the new one from there, together once each.
  std::vector<int> c1 = FileNumbers(set.path("c-1.log")), c2 = FileNumbers(set.path("c-2.log"));
  ASSERT_FALSE(c1.empty());
  ASSERT_FALSE(c2.empty());
  std::vector<int> c = c1;
  c.insert(c.end(), c2.begin(), c2.end());
  EXPECT_EQ(1, c.front());
  EXPECT_EQ(n, c.back());
  EXPECT_EQ("", Contiguous(c)) << "c-1 then c-2";
  // The removed and the changed sink were cut at the same record.
  EXPECT_EQ(b.back(), c1.back());
  // r: from the reload on, each once, to the end.
  central = rsyslog.ReceivedLines();
  std::vector<int> rn = Numbers(central, "n");
  ASSERT_FALSE(rn.empty());
  EXPECT_EQ(c2.front(), rn.front()) << "the new sink starts where the changed one reopened";
  EXPECT_EQ(n, rn.back());
  EXPECT_EQ("", Contiguous(rn)) << "rsyslog";
  std::cout << "reload at line ~" << at_reload << "; b got 1.." << b.back() << ", c-2 and r from "
            << rn.front() << "\n";
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
