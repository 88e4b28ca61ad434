#include "steward/log/forwarder/line_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace steward::log {
namespace {

// Each piece as "line" or "line+" when partial.
struct Collector {
  std::vector<std::string> got;
  LineSplitter::Emit emit() {
    return [this](std::string_view line, bool partial) {
      got.push_back(std::string(line) + (partial ? "+" : ""));
    };
  }
};

using Lines = std::vector<std::string>;

TEST(LineSplitter, EmitsOneRecordPerLineWithoutNewline) {
  LineSplitter s(100);
  Collector c;
  s.Feed("one\ntwo\n\nthree\n", c.emit());
  EXPECT_EQ((Lines{"one", "two", "", "three"}), c.got);
  EXPECT_EQ(0u, s.held());
}

TEST(LineSplitter, HoldsAnUnterminatedTailUntilItsNewline) {
  LineSplitter s(100);
  Collector c;
  s.Feed("hel", c.emit());
  EXPECT_TRUE(c.got.empty());
  EXPECT_EQ(3u, s.held());
  s.Feed("lo wor", c.emit());
  s.Feed("ld\nnext", c.emit());
  EXPECT_EQ((Lines{"hello world"}), c.got);
  EXPECT_EQ(4u, s.held());
}

TEST(LineSplitter, FlushAtEndOfPipeEmitsTheFinalLineWhole) {
  LineSplitter s(100);
  Collector c;
  s.Feed("a\nlast words", c.emit());
  s.Flush(true, c.emit());
  EXPECT_EQ((Lines{"a", "last words"}), c.got);
  EXPECT_EQ(0u, s.held());
  s.Flush(true, c.emit());  // nothing held: nothing emitted
  EXPECT_EQ(2u, c.got.size());
}

TEST(LineSplitter, FlushAfterSilenceMarksThePiecePartial) {
  LineSplitter s(100);
  Collector c;
  s.Feed("Password: ", c.emit());
  s.Flush(false, c.emit());
  s.Feed("ok\n", c.emit());
  EXPECT_EQ((Lines{"Password: +", "ok"}), c.got);
}

TEST(LineSplitter, CutsLongLinesIntoPartialPieces) {
  LineSplitter s(4);
  Collector c;
  s.Feed("abcdefghij\n", c.emit());
  EXPECT_EQ((Lines{"abcd+", "efgh+", "ij"}), c.got);
}

TEST(LineSplitter, ALineOfExactlyMaxLineIsOneRecord) {
  LineSplitter s(4);
  Collector c;
  s.Feed("abcd\nefgh", c.emit());
  EXPECT_EQ((Lines{"abcd"}), c.got);
  EXPECT_EQ(4u, s.held());  // held whole: its newline may be next
  s.Feed("\n", c.emit());
  EXPECT_EQ((Lines{"abcd", "efgh"}), c.got);
}

TEST(LineSplitter, CutsAcrossFeedsWithoutWaitingForTheNewline) {
  LineSplitter s(4);
  Collector c;
  s.Feed("ab", c.emit());
  s.Feed("cdef", c.emit());
  EXPECT_EQ((Lines{"abcd+"}), c.got);
  EXPECT_EQ(2u, s.held());
  s.Feed("g\n", c.emit());
  EXPECT_EQ((Lines{"abcd+", "efg"}), c.got);
}

TEST(LineSplitter, ByteByByteGivesTheSameRecords) {
  std::string input = "first line\nsecond, a much longer line\n\nx";
  LineSplitter whole(8), bytes(8);
  Collector a, b;
  whole.Feed(input, a.emit());
  whole.Flush(true, a.emit());
  for (char ch : input) bytes.Feed(std::string_view(&ch, 1), b.emit());
  bytes.Flush(true, b.emit());
  EXPECT_EQ(a.got, b.got);
  EXPECT_EQ((Lines{"first li+", "ne", "second, +", "a much l+", "onger li+", "ne", "", "x"}),
            a.got);
}

TEST(LineSplitter, KeepsBinaryBytes) {
  LineSplitter s(100);
  Collector c;
  s.Feed(std::string("a\0b\r\n", 5), c.emit());
  ASSERT_EQ(1u, c.got.size());
  EXPECT_EQ(std::string("a\0b\r", 4), c.got[0]);
}

}  // namespace
}  // namespace steward::log
