// LogRing's budget and numbering, and LogTail over a real socket pair and libev loop.
#include "steward/log/forwarder/ring.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "steward/log/forwarder/tail.hpp"

namespace steward::log {
namespace {

constexpr int64_t kT = 1764619862123456;  // 2025-12-01T20:11:02.123456Z

std::string fmt_line(int i) {
  std::string s = std::to_string(i);
  return std::string(3 - s.size(), '0') + s;
}

TEST(LogRing, KeepsTheNewestRecordsWithinItsBudget) {
  LogRing ring(3 * LogRing::Cost(1));
  for (char c : std::string("abcde")) ring.Append(kT, Stream::kStdout, std::string(1, c));
  EXPECT_EQ(3u, ring.size());
  EXPECT_EQ(2u, ring.first_seq());
  EXPECT_EQ(5u, ring.next_seq());
  EXPECT_EQ(nullptr, ring.At(1));
  ASSERT_NE(nullptr, ring.At(2));
  EXPECT_EQ("c", ring.At(2)->line);
  EXPECT_EQ("e", ring.At(4)->line);
  EXPECT_EQ(nullptr, ring.At(5));
  EXPECT_LE(ring.bytes(), 3 * LogRing::Cost(1));
}

TEST(LogRing, EmptyLinesCountAgainstTheBudgetToo) {
  LogRing ring(1 << 10);
  for (int i = 0; i < 100000; ++i) ring.Append(kT, Stream::kStdout, "");
  EXPECT_LE(ring.bytes(), 1u << 10);
  EXPECT_EQ((1u << 10) / LogRing::Cost(0), ring.size());
}

TEST(LogRing, ALineLongerThanTheRingIsCutToIt) {
  LogRing ring(LogRing::Cost(10));
  ring.Append(kT, Stream::kStderr, std::string(1 << 20, 'x'));
  ASSERT_EQ(1u, ring.size());
  EXPECT_EQ(std::string(10, 'x'), ring.At(0)->line);
}

// Lines of every length wrap around the ring's buffer many times: each
// record kept is the line appended under its number, the newest always.
TEST(LogRing, WrapsItsBufferKeepingEveryLineIntact) {
  LogRing ring(4096);
  std::vector<std::string> all;
  unsigned x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245u + 12345u;
    size_t len = (x >> 16) % 700;
    all.push_back(std::string(len, char('a' + i % 26)) + std::to_string(i));
    ring.Append(kT + i, i % 2 ? Stream::kStderr : Stream::kStdout, all.back());
    ASSERT_LE(ring.bytes(), 4096u);
    ASSERT_EQ(uint64_t(i + 1), ring.next_seq());
    ASSERT_NE(nullptr, ring.At(uint64_t(i))) << i;
    for (uint64_t seq = ring.first_seq(); seq < ring.next_seq(); ++seq) {
      const RingEntry* e = ring.At(seq);
      ASSERT_NE(nullptr, e);
      ASSERT_EQ(all[seq], e->line) << "seq " << seq << " after " << i;
      ASSERT_EQ(kT + int64_t(seq), e->time_us);
      ASSERT_EQ(seq % 2 ? Stream::kStderr : Stream::kStdout, e->stream);
    }
  }
}

// With room to spare (the usual case: lines much shorter than the ring),
// the buffer's wrapping never evicts more than the budget asks.
TEST(LogRing, ShortLinesAreEvictedByTheBudgetOnly) {
  LogRing ring(1 << 20);
  std::string line(100, 'x');
  for (int i = 0; i < 100000; ++i) ring.Append(kT, Stream::kStdout, line);
  EXPECT_EQ((size_t(1) << 20) / LogRing::Cost(100), ring.size());
}

TEST(LogRing, ANewBudgetKeepsTheNewestLinesThatFit) {
  LogRing ring(10 * LogRing::Cost(3));
  for (int i = 0; i < 25; ++i) ring.Append(kT, Stream::kStdout, fmt_line(i));
  ring.set_max_bytes(4 * LogRing::Cost(3));
  ASSERT_EQ(4u, ring.size());
  EXPECT_EQ(21u, ring.first_seq());
  for (uint64_t s = 21; s < 25; ++s) EXPECT_EQ(fmt_line(int(s)), ring.At(s)->line);
  ring.set_max_bytes(1 << 10);  // grows: the same lines, then room for more
  for (uint64_t s = 21; s < 25; ++s) EXPECT_EQ(fmt_line(int(s)), ring.At(s)->line);
  for (int i = 25; i < 40; ++i) ring.Append(kT, Stream::kStdout, fmt_line(i));
  EXPECT_EQ(19u, ring.size());
  for (uint64_t s = 21; s < 40; ++s) EXPECT_EQ(fmt_line(int(s)), ring.At(s)->line);
}

TEST(LogRing, LastNStartsAtTheNthNewest) {
  LogRing ring(1 << 20);
  for (int i = 0; i < 10; ++i) ring.Append(kT, Stream::kStdout, std::to_string(i));
  EXPECT_EQ(7u, ring.LastN(3));
  EXPECT_EQ(0u, ring.LastN(100));
  EXPECT_EQ(10u, ring.LastN(0));
}

TEST(LogRing, ALineIsTimeStreamText) {
  std::string out;
  AppendRingLine(RingEntry{kT, Stream::kStderr, "boom"}, &out);
  EXPECT_EQ("2025-12-01T20:11:02.123456Z stderr boom\n", out);
}

class LogTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = ev_loop_new(EVFLAG_AUTO);
    int sv[2];
    ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    server_ = UniqueFd(sv[0]);
    client_ = UniqueFd(sv[1]);
  }
  void TearDown() override {
    tail_.reset();
    ev_loop_destroy(loop_);
  }
  void Start(size_t n, bool follow) {
    tail_ = std::make_unique<LogTail>(loop_, std::move(server_), &ring_, n, follow);
  }
  void Spin(int turns = 20) {
    for (int i = 0; i < turns; ++i) ev_run(loop_, EVRUN_NOWAIT);
  }
  // Everything the client can read now, without blocking.
  std::string Read() {
    std::string got;
    char buf[65536];
    for (;;) {
      Spin();
      ssize_t n = recv(client_.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }

  struct ev_loop* loop_ = nullptr;
  UniqueFd server_, client_;
  LogRing ring_{1 << 20};
  std::unique_ptr<LogTail> tail_;
};

TEST_F(LogTailTest, WithoutFollowSendsTheLastNThenCloses) {
  for (int i = 0; i < 5; ++i) ring_.Append(kT, Stream::kStdout, "line " + std::to_string(i));
  Start(2, false);
  EXPECT_EQ(
      "0\n2025-12-01T20:11:02.123456Z stdout line 3\n2025-12-01T20:11:02.123456Z stdout line 4\n",
      Read());
  EXPECT_TRUE(tail_->done());
  char c;
  EXPECT_EQ(0, recv(client_.get(), &c, 1, MSG_DONTWAIT));  // end of file
}

TEST_F(LogTailTest, AServiceThatWroteNothingGivesJustTheExitCode) {
  Start(100, false);
  EXPECT_EQ("0\n", Read());
  EXPECT_TRUE(tail_->done());
}

TEST_F(LogTailTest, FollowSendsNewRecordsAsTheyCome) {
  ring_.Append(kT, Stream::kStdout, "old");
  Start(10, true);
  EXPECT_EQ("0\n2025-12-01T20:11:02.123456Z stdout old\n", Read());
  ring_.Append(kT, Stream::kStderr, "new");
  tail_->Notify();
  EXPECT_EQ("2025-12-01T20:11:02.123456Z stderr new\n", Read());
  EXPECT_FALSE(tail_->done());
  client_.Reset();  // the client hangs up (Ctrl-C)
  Spin();
  EXPECT_TRUE(tail_->done());
}

TEST_F(LogTailTest, AFollowerThatFallsARingBehindIsDroppedWithAMessage) {
  LogRing small(64 * LogRing::Cost(100));
  tail_ = std::make_unique<LogTail>(loop_, std::move(server_), &small, 10, true);
  int rcvbuf = 4096;
  setsockopt(client_.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  // The client reads nothing while far more than a ring's worth arrives.
  for (int i = 0; i < 100000; ++i) {
    small.Append(kT, Stream::kStdout, std::string(100, 'a'));
    tail_->Notify();
    if (i % 1000 == 0) Spin(1);
  }
  Spin();
  std::string got = Read();
  for (int i = 0; i < 100 && !tail_->done(); ++i) got += Read();
  EXPECT_TRUE(tail_->done());
  EXPECT_NE(std::string::npos,
            got.find("lines were dropped from the ring (log.ring) before this client read them; "
                     "disconnecting\n"));
  EXPECT_LT(got.size(), 100000u * 100);  // it did not buffer everything
}

TEST_F(LogTailTest, CloseSaysWhyAndEnds) {
  Start(10, true);
  EXPECT_EQ("0\n", Read());
  tail_->Close("steward: ctl logs: web was removed by a reload");
  EXPECT_EQ("steward: ctl logs: web was removed by a reload\n", Read());
  EXPECT_TRUE(tail_->done());
}

}  // namespace
}  // namespace steward::log
