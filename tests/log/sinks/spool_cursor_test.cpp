// The senders' shared view of a spool (sender.hpp): what is sent, what is
// acknowledged, what is to be sent again.
#include <sys/mman.h>

#include <string>

#include <gtest/gtest.h>

#include "steward/log/sinks/sender.hpp"

namespace steward::log {
namespace {

class SpoolCursorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string note, err;
    ASSERT_TRUE(spool_.Open(UniqueFd(memfd_create("cursor-test", MFD_CLOEXEC)), 1 << 16, &note, &err)) << err;
    for (const char* line : {"one", "two", "three"}) {
      Record r;
      r.service = "web";
      r.line = line;
      std::string entry;
      EncodeRecord(r, &entry);
      ASSERT_EQ(Spool::Push::kOk, spool_.Append(entry, true));
    }
    cursor_.Rewind();
  }
  // The next record's line, and marks it sent; "" at the end.
  std::string Next(uint64_t* after = nullptr) {
    Record r;
    uint64_t pos = 0;
    if (cursor_.Peek(&r, &pos) != SpoolCursor::Read::kEntry) return "";
    cursor_.SentTo(pos);
    if (after) *after = pos;
    return r.line;
  }
  Spool spool_;
  SpoolCursor cursor_{&spool_, "central"};
};

TEST_F(SpoolCursorTest, SendsInOrderAndAnAckedRecordLeavesTheSpool) {
  uint64_t after_one = 0;
  EXPECT_EQ("one", Next(&after_one));
  EXPECT_EQ("two", Next());
  EXPECT_EQ(3u, cursor_.Undelivered());  // sent is not delivered
  cursor_.Ack(after_one);
  EXPECT_EQ(2u, cursor_.Undelivered());
  EXPECT_TRUE(cursor_.unsent());
  EXPECT_EQ("three", Next());
  EXPECT_FALSE(cursor_.unsent());
  EXPECT_EQ("", Next());
}

// relp: after a broken session everything unanswered is sent again, in order.
TEST_F(SpoolCursorTest, RewindSendsEverythingUnacknowledgedAgain) {
  uint64_t after_one = 0;
  Next(&after_one);
  Next();
  Next();
  cursor_.Ack(after_one);
  cursor_.Rewind();
  EXPECT_EQ("two", Next());
  EXPECT_EQ("three", Next());
}

// stream: frames that left the spool are kept until the peer's kernel has
// them; a broken connection sends the rest first, in order.
TEST_F(SpoolCursorTest, KeptFramesAreResentFirstAfterALostConnection) {
  uint64_t after = 0;
  Next();
  Next();
  Next(&after);
  cursor_.Ack(after);
  cursor_.Keep("1 one", 10);
  cursor_.Keep("2 two", 20);
  cursor_.Keep("3 three", 30);
  EXPECT_EQ(3u, cursor_.Undelivered());
  cursor_.AckedUpTo(15);  // the peer has the first frame
  EXPECT_EQ(2u, cursor_.Undelivered());
  EXPECT_TRUE(cursor_.empty());
  cursor_.Lost();
  EXPECT_FALSE(cursor_.empty());
  ASSERT_TRUE(cursor_.has_resend());
  EXPECT_EQ("2 two", cursor_.TakeResend());
  EXPECT_EQ("3 three", cursor_.TakeResend());
  EXPECT_FALSE(cursor_.has_resend());
  EXPECT_EQ(0u, cursor_.Undelivered());
}

// Records dropped from the spool's head meanwhile are skipped, not sent.
TEST_F(SpoolCursorTest, RecordsDroppedMeanwhileAreSkipped) {
  uint64_t after_one = 0;
  Next(&after_one);
  cursor_.Rewind();
  Record r;
  uint64_t after_two = 0;
  ASSERT_EQ(SpoolCursor::Read::kEntry, cursor_.Peek(&r, &after_two));
  EXPECT_EQ("one", r.line);
  std::string entry;
  uint64_t next = 0;
  ASSERT_TRUE(spool_.Read(after_one, &entry, &next));
  spool_.PopTo(next);  // "one" and "two" dropped (overflow)
  EXPECT_EQ("three", Next());
}

}  // namespace
}  // namespace steward::log
