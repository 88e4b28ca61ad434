// PID 1's stderr queue and repeat limiter against a fake stderr and a fake
// clock: the bound, the drop count, the line that announces it, whole lines
// only, and one summary per cause.
#include "steward/util/stderr_queue.hpp"

#include <gtest/gtest.h>

#include <string>

namespace steward {
namespace {

// A stderr that takes up to `room` bytes, then would block until the test
// makes room; what it took is in `got`.
struct FakeStderr {
  size_t room = 0;
  bool gone = false;
  std::string got;
  StderrQueue::WriteFn Fn() {
    return [this](std::string_view b) -> ssize_t {
      if (gone) return -1;
      size_t n = std::min(room, b.size());
      got.append(b.substr(0, n));
      room -= n;
      return ssize_t(n);
    };
  }
};

TEST(StderrQueue, WritesAtOnceWhenStderrTakesIt) {
  FakeStderr err;
  err.room = 100;
  StderrQueue q(err.Fn());
  EXPECT_FALSE(q.Push("steward: info: one\n"));
  EXPECT_EQ("steward: info: one\n", err.got);
  EXPECT_FALSE(q.waiting());
}

TEST(StderrQueue, KeepsWhatStderrCannotTakeAndWritesItWhenWritable) {
  FakeStderr err;
  err.room = 5;
  StderrQueue q(err.Fn());
  EXPECT_TRUE(q.Push("first line\n"));
  EXPECT_TRUE(q.Push("second line\n"));
  EXPECT_EQ("first", err.got);
  EXPECT_TRUE(q.Flush());  // still no room
  err.room = 1000;
  EXPECT_FALSE(q.Flush());
  EXPECT_EQ("first line\nsecond line\n", err.got);
  EXPECT_EQ(0u, q.dropped());
}

TEST(StderrQueue, PastTheBoundWholeLinesAreDroppedCountedAndAnnouncedOnce) {
  FakeStderr err;  // not read at all
  StderrQueue q(err.Fn(), 30);
  EXPECT_TRUE(q.Push("0123456789abcdef\n"));  // 17 bytes wait
  EXPECT_TRUE(q.Push("0123456789ab\n"));      // 30: at the bound, kept
  for (int i = 0; i < 123; ++i) EXPECT_TRUE(q.Push("x\n"));
  EXPECT_EQ(123u, q.dropped());
  EXPECT_EQ("", err.got);
  err.room = 10000;
  EXPECT_FALSE(q.Flush());
  EXPECT_EQ("0123456789abcdef\n0123456789ab\n"
            "steward: warning: 123 messages dropped: stderr was not being read\n",
            err.got);
  // Announced once: the next stall counts from zero.
  err.got.clear();
  err.room = 0;
  EXPECT_TRUE(q.Push("0123456789abcdef0123456789\n"));
  EXPECT_TRUE(q.Push("0123456789\n"));
  err.room = 10000;
  EXPECT_FALSE(q.Flush());
  EXPECT_EQ("0123456789abcdef0123456789\n"
            "steward: warning: 1 message dropped: stderr was not being read\n",
            err.got);
  EXPECT_EQ(124u, q.dropped());
}

TEST(StderrQueue, APartlyWrittenLineIsFinishedBeforeAnythingElse) {
  FakeStderr err;
  err.room = 3;
  StderrQueue q(err.Fn(), 10);
  EXPECT_TRUE(q.Push("abcdefghij\n"));  // 8 bytes wait: the rest of it
  EXPECT_TRUE(q.Push("klm\n"));         // 12 > 10: dropped, never cut
  err.room = 100;
  EXPECT_FALSE(q.Flush());
  EXPECT_EQ("abcdefghij\nsteward: warning: 1 message dropped: stderr was not being read\n",
            err.got);
}

TEST(StderrQueue, AClosedStderrDropsEverythingWithoutWaiting) {
  FakeStderr err;
  err.gone = true;
  StderrQueue q(err.Fn());
  EXPECT_FALSE(q.Push("one\n"));
  EXPECT_FALSE(q.Push("two\n"));
  EXPECT_FALSE(q.waiting());
  EXPECT_EQ(2u, q.dropped());
}

TEST(RepeatLimiter, CauseReadsEveryNumberAsOne) {
  EXPECT_EQ("web: exited with status # (pid #)",
            RepeatLimiter::CauseOf("web: exited with status 1 (pid 4242)"));
  EXPECT_EQ(RepeatLimiter::CauseOf("web: started (pid 42)"),
            RepeatLimiter::CauseOf("web: started (pid 43)"));
  EXPECT_NE(RepeatLimiter::CauseOf("web: started (pid 42)"),
            RepeatLimiter::CauseOf("db: started (pid 42)"));
}

TEST(RepeatLimiter, MoreThanTheBurstInAWindowIsHeldBackAndSummarisedOnce) {
  RepeatLimiter l(RepeatLimiter::Limits{3, 10.0, 64});
  double t = 100;
  EXPECT_EQ(0, l.NextDue());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.Allow("web: exited with status " + std::to_string(i), t));
  EXPECT_TRUE(l.Allow("db: started (pid 7)", t));  // another cause is not held back
  for (int i = 3; i < 60; ++i) EXPECT_FALSE(l.Allow("web: exited with status " + std::to_string(i), t + 1));
  EXPECT_EQ(110.0, l.NextDue());
  EXPECT_TRUE(l.Expired(109.9).empty());
  EXPECT_EQ(std::vector<std::string>{"held back 57 more messages like \"web: exited with status 3\" "
                                     "(more than 3 in 10s)"},
            l.Expired(110));
  EXPECT_EQ(0, l.NextDue());
  EXPECT_TRUE(l.Expired(200).empty());
  // A new window lets a burst through again.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.Allow("web: exited with status 1", 111));
  EXPECT_FALSE(l.Allow("web: exited with status 1", 111));
}

TEST(RepeatLimiter, AQuietCauseIsForgottenAndStartsAfresh) {
  RepeatLimiter l(RepeatLimiter::Limits{2, 10.0, 64});
  EXPECT_TRUE(l.Allow("a 1", 0));
  EXPECT_TRUE(l.Allow("a 2", 0));
  EXPECT_TRUE(l.Allow("a 3", 10));  // the window ended with nothing held back
  EXPECT_TRUE(l.Allow("a 4", 10));
  EXPECT_FALSE(l.Allow("a 5", 10));
}

TEST(RepeatLimiter, BeyondTheTableNewCausesAreNotLimited) {
  RepeatLimiter l(RepeatLimiter::Limits{1, 10.0, 2});
  EXPECT_TRUE(l.Allow("a", 0));
  EXPECT_TRUE(l.Allow("b", 0));
  EXPECT_TRUE(l.Allow("c", 0));
  EXPECT_TRUE(l.Allow("c", 0));
  EXPECT_FALSE(l.Allow("a", 0));
}

}  // namespace
}  // namespace steward
