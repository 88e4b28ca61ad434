// SaveRings/LoadRings: the `ctl logs` state one forwarder leaves the next at a reload, and junk that must not load.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "steward/log/forwarder/ring.hpp"

namespace steward::log {
namespace {

constexpr int64_t kT = 1764619862123456;

Rings Sample() {
  Rings rings;
  rings["web"] = std::make_unique<LogRing>(3 * LogRing::Cost(2));
  for (const char* l : {"w1", "w2", "w3", "w4", "w5"}) rings["web"]->Append(kT + 1, Stream::kStderr, l);
  rings["db"] = std::make_unique<LogRing>(1 << 20);
  rings["db"]->Append(kT, Stream::kSyslog, "");
  rings["quiet"] = std::make_unique<LogRing>(1 << 20);
  return rings;
}

std::vector<TailState> SampleTails() {
  TailState a{"web", true, false, 3, 5, "pending bytes\n"};
  TailState b{"db", false, true, 0, 1, ""};
  return {a, b};
}

TEST(LogRingHandover, RoundTripKeepsNumbersLinesAndFollowers) {
  std::string blob = SaveRings(Sample(), SampleTails());
  Rings rings;
  std::vector<TailState> tails;
  ASSERT_TRUE(LoadRings(blob, 1 << 20, &rings, &tails));
  ASSERT_EQ(3u, rings.size());
  LogRing& web = *rings["web"];
  EXPECT_EQ(2u, web.first_seq());  // w1, w2 had been evicted: the numbers stay
  EXPECT_EQ(5u, web.next_seq());
  EXPECT_EQ("w3", web.At(2)->line);
  EXPECT_EQ("w5", web.At(4)->line);
  EXPECT_EQ(Stream::kStderr, web.At(4)->stream);
  EXPECT_EQ(kT + 1, web.At(4)->time_us);
  EXPECT_EQ(1u, rings["db"]->size());
  EXPECT_EQ("", rings["db"]->At(0)->line);
  EXPECT_EQ(Stream::kSyslog, rings["db"]->At(0)->stream);
  EXPECT_EQ(0u, rings["quiet"]->size());
  ASSERT_EQ(2u, tails.size());
  EXPECT_EQ("web", tails[0].service);
  EXPECT_TRUE(tails[0].follow);
  EXPECT_FALSE(tails[0].closing);
  EXPECT_EQ(3u, tails[0].next);
  EXPECT_EQ(5u, tails[0].end);
  EXPECT_EQ("pending bytes\n", tails[0].out);
  EXPECT_EQ("db", tails[1].service);
  EXPECT_TRUE(tails[1].closing);
}

TEST(LogRingHandover, ASmallerRingKeepsTheNewest) {
  Rings rings;
  std::vector<TailState> tails;
  ASSERT_TRUE(LoadRings(SaveRings(Sample(), {}), LogRing::Cost(2), &rings, &tails));
  EXPECT_EQ(1u, rings["web"]->size());
  EXPECT_EQ(4u, rings["web"]->first_seq());
  EXPECT_EQ("w5", rings["web"]->At(4)->line);
}

TEST(LogRingHandover, EveryTruncationAndTrailingJunkIsRefused) {
  std::string blob = SaveRings(Sample(), SampleTails());
  for (size_t n = 0; n < blob.size(); ++n) {
    Rings rings;
    std::vector<TailState> tails;
    EXPECT_FALSE(LoadRings(std::string_view(blob).substr(0, n), 1 << 20, &rings, &tails)) << n;
    EXPECT_TRUE(rings.empty());
    EXPECT_TRUE(tails.empty());
  }
  Rings rings;
  std::vector<TailState> tails;
  EXPECT_FALSE(LoadRings(blob + "x", 1 << 20, &rings, &tails));
}

TEST(LogRingHandover, HostileCountsAndNamesAreRefused) {
  Rings rings;
  std::vector<TailState> tails;
  // A ring count of 4 billion, an entry count larger than the bytes.
  std::string huge("\x48\x52\x54\x53\xff\xff\xff\xff", 8);
  EXPECT_FALSE(LoadRings(huge, 1 << 20, &rings, &tails));
  Rings one;
  one["web"] = std::make_unique<LogRing>(1024);
  std::string blob = SaveRings(one, {});
  std::string lie = blob;
  uint32_t entries = 0x7fffffff;
  memcpy(&lie[8 + 4 + 3 + 8], &entries, 4);  // magic, count, name, next_seq: then entries
  EXPECT_FALSE(LoadRings(lie, 1 << 20, &rings, &tails));
  // A follower of a ring that is not there.
  EXPECT_FALSE(LoadRings(SaveRings(one, {TailState{"nope", true, false, 0, 0, ""}}), 1 << 20, &rings, &tails));
  // A stream that does not exist.
  one["web"]->Append(kT, Stream::kStdout, "x");
  std::string bad = SaveRings(one, {});
  bad[8 + 4 + 3 + 8 + 4 + 8] = 9;
  EXPECT_FALSE(LoadRings(bad, 1 << 20, &rings, &tails));
  EXPECT_TRUE(rings.empty());
  // Random bytes after a valid magic: never a crash, never a half load.
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string junk("\x48\x52\x54\x53", 4);
    size_t n = rng() % 96;
    for (size_t k = 0; k < n; ++k) junk.push_back(char(rng() % 4 == 0 ? rng() : rng() % 4));
    Rings r;
    std::vector<TailState> t;
    if (!LoadRings(junk, 1 << 20, &r, &t)) {
      EXPECT_TRUE(r.empty());
      EXPECT_TRUE(t.empty());
    }
  }
}

}  // namespace
}  // namespace steward::log
