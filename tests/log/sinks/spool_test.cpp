#include "steward/log/sinks/spool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace steward::log {
namespace {

UniqueFd Memfd() { return UniqueFd(memfd_create("spool-test", MFD_CLOEXEC)); }

// Every entry from head to tail.
std::vector<std::string> All(const Spool& s) {
  std::vector<std::string> out;
  std::string e;
  for (uint64_t pos = s.head(), next; pos < s.tail(); pos = next) {
    if (!s.Read(pos, &e, &next)) {
      out.push_back("<corrupt>");
      break;
    }
    out.push_back(e);
  }
  return out;
}

using Entries = std::vector<std::string>;

Spool Open(UniqueFd fd, uint64_t capacity) {
  Spool s;
  std::string note, err;
  EXPECT_TRUE(s.Open(std::move(fd), capacity, &note, &err)) << err;
  return s;
}

TEST(Spool, AppendsAndReadsInOrder) {
  Spool s = Open(Memfd(), 4096);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(Spool::Push::kOk, s.Append("one", false));
  EXPECT_EQ(Spool::Push::kOk, s.Append("two", false));
  EXPECT_EQ(Spool::Push::kOk, s.Append("", false));
  EXPECT_EQ((Entries{"one", "two", ""}), All(s));
  EXPECT_EQ(18u, s.used());  // 4-byte length + bytes each
}

TEST(Spool, PopToForgetsTheHead) {
  Spool s = Open(Memfd(), 4096);
  s.Append("one", false);
  s.Append("two", false);
  std::string e;
  uint64_t next;
  ASSERT_TRUE(s.Read(s.head(), &e, &next));
  EXPECT_TRUE(s.PopTo(next));
  EXPECT_EQ((Entries{"two"}), All(s));
  EXPECT_FALSE(s.Read(0, &e, &next));  // popped
}

TEST(Spool, SurvivesReopeningItsFile) {
  UniqueFd fd = Memfd();
  int keep = dup(fd.get());  // as PID 1 holds it while the forwarder restarts
  {
    Spool s = Open(std::move(fd), 4096);
    s.Append("kept", false);
    s.Append("too", false);
  }
  Spool s = Open(UniqueFd(keep), 4096);
  EXPECT_EQ((Entries{"kept", "too"}), All(s));
}

TEST(Spool, ACapacityChangeStartsEmptyAndSaysSo) {
  UniqueFd fd = Memfd();
  int keep = dup(fd.get());
  {
    Spool s = Open(std::move(fd), 4096);
    s.Append("lost", false);
  }
  Spool s;
  std::string note, err;
  ASSERT_TRUE(s.Open(UniqueFd(keep), 8192, &note, &err));
  EXPECT_TRUE(s.empty());
  EXPECT_EQ("8 bytes of queued records dropped: buffer size changed", note);
}

TEST(Spool, BlockModeReportsFull) {
  Spool s = Open(Memfd(), 4096);
  std::string big(1000, 'x');
  int n = 0;
  while (s.Append(big, false) == Spool::Push::kOk) ++n;
  EXPECT_EQ(4, n);  // 4 x 1004 bytes fit in 4096
  EXPECT_EQ(0u, s.dropped());
  EXPECT_EQ(4u, All(s).size());
}

TEST(Spool, DropOldestMakesRoomAndCounts) {
  Spool s = Open(Memfd(), 4096);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(Spool::Push::kOk, s.Append(std::to_string(i) + std::string(999, '.'), true));
  }
  Entries all = All(s);
  ASSERT_EQ(4u, all.size());
  EXPECT_EQ('6', all[0][0]);
  EXPECT_EQ('9', all[3][0]);
  EXPECT_EQ(6u, s.dropped());
}

TEST(Spool, EntriesWrapAroundTheEndOfTheRing) {
  Spool s = Open(Memfd(), 4096);
  std::string e;
  uint64_t next;
  for (int i = 0; i < 50; ++i) {
    std::string entry = std::to_string(i) + std::string(size_t(300 + i), char('a' + i % 26));
    ASSERT_EQ(Spool::Push::kOk, s.Append(entry, false)) << i;
    ASSERT_TRUE(s.Read(s.head(), &e, &next));
    EXPECT_EQ(entry, e);
    s.PopTo(next);
  }
  EXPECT_TRUE(s.empty());
  EXPECT_GT(s.tail(), 4096u);  // positions went round the ring several times
}

TEST(Spool, AnEntryBiggerThanTheRingIsDroppedInEitherMode) {
  Spool s = Open(Memfd(), 4096);
  EXPECT_EQ(Spool::Push::kOk, s.Append(std::string(5000, 'x'), false));
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(1u, s.dropped());
}

TEST(Spool, DroppedCountSurvivesReopen) {
  UniqueFd fd = Memfd();
  int keep = dup(fd.get());
  {
    Spool s = Open(std::move(fd), 4096);
    for (int i = 0; i < 6; ++i) s.Append(std::string(1000, 'x'), true);
  }
  Spool s = Open(UniqueFd(keep), 4096);
  EXPECT_EQ(2u, s.dropped());
  EXPECT_EQ(4u, All(s).size());
}

TEST(Spool, WorksOnARegularFile) {
  char path[] = "/tmp/steward-spool-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  Spool s = Open(UniqueFd(fd), 1 << 20);
  s.Append("on disk", false);
  EXPECT_EQ((Entries{"on disk"}), All(s));
}

}  // namespace
}  // namespace steward::log

namespace steward::log {
namespace {

std::string Framed(std::initializer_list<std::string> entries) {
  std::string f;
  for (const std::string& e : entries) Spool::Frame(e, &f);
  return f;
}

TEST(Spool, AppendFramedAddsABatch) {
  Spool s = Open(Memfd(), 4096);
  std::string batch = Framed({"a", "bb", "ccc"});
  Spool::Push result;
  EXPECT_EQ(batch.size(), s.AppendFramed(batch, false, &result));
  EXPECT_EQ(Spool::Push::kOk, result);
  EXPECT_EQ((Entries{"a", "bb", "ccc"}), All(s));
}

TEST(Spool, AppendFramedInBlockModeTakesWhatFits) {
  Spool s = Open(Memfd(), 4096);
  std::string big(1500, 'x');
  std::string batch = Framed({big, big, big});
  Spool::Push result;
  EXPECT_EQ(2 * 1504u, s.AppendFramed(batch, false, &result));
  EXPECT_EQ(Spool::Push::kFull, result);
  EXPECT_EQ(2u, All(s).size());
}

TEST(Spool, AppendFramedDropOldestKeepsTheNewest) {
  Spool s = Open(Memfd(), 4096);
  s.Append("old", false);
  std::string batch = Framed({std::string(1500, '1'), std::string(1500, '2'), std::string(1500, '3')});
  Spool::Push result;
  EXPECT_EQ(batch.size(), s.AppendFramed(batch, true, &result));
  Entries all = All(s);
  ASSERT_EQ(2u, all.size());
  EXPECT_EQ('2', all[0][0]);
  EXPECT_EQ('3', all[1][0]);
  EXPECT_EQ(2u, s.dropped());  // "old" and the first big one
}

TEST(Spool, AppendFramedDropsAnEntryThatCanNeverFit) {
  Spool s = Open(Memfd(), 4096);
  std::string batch = Framed({"a", std::string(5000, 'x'), "b"});
  Spool::Push result;
  EXPECT_EQ(batch.size(), s.AppendFramed(batch, false, &result));
  EXPECT_EQ((Entries{"a", "b"}), All(s));
  EXPECT_EQ(1u, s.dropped());
}

}  // namespace
}  // namespace steward::log
