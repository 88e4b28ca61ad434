#include "steward/config/parse.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

Duration D(const char* s) {
  Duration d{-1};
  std::string err;
  EXPECT_TRUE(ParseDuration(s, &d, &err)) << s << ": " << err;
  return d;
}

std::string DurationError(const char* s) {
  Duration d;
  std::string err;
  EXPECT_FALSE(ParseDuration(s, &d, &err)) << s;
  return err;
}

TEST(ParseDuration, UnitsAndBareSeconds) {
  EXPECT_EQ(Duration(250), D("250ms"));
  EXPECT_EQ(Duration(5000), D("5s"));
  EXPECT_EQ(Duration(120000), D("2m"));
  EXPECT_EQ(Duration(3600000), D("1h"));
  EXPECT_EQ(Duration(7000), D("7"));
  EXPECT_EQ(Duration(1500), D("1.5s"));
  EXPECT_EQ(Duration(250), D("0.25"));
  EXPECT_EQ(Duration(0), D("0"));
}

TEST(ParseDuration, ErrorsNameTheText) {
  EXPECT_EQ("invalid duration '' (expected e.g. \"250ms\", \"5s\", \"2m\")", DurationError(""));
  EXPECT_EQ("invalid duration 'fast' (expected e.g. \"250ms\", \"5s\", \"2m\")",
            DurationError("fast"));
  EXPECT_EQ("invalid duration '5x': unknown unit 'x' (use ms, s, m or h)", DurationError("5x"));
  EXPECT_EQ("invalid duration '-1s' (expected e.g. \"250ms\", \"5s\", \"2m\")",
            DurationError("-1s"));
  EXPECT_EQ("invalid duration '1.5ms' (milliseconds must be whole)", DurationError("1.5ms"));
}

TEST(ParseSize, BinaryAndDecimalUnits) {
  uint64_t v;
  std::string err;
  ASSERT_TRUE(ParseSize("64KiB", &v, &err));
  EXPECT_EQ(65536u, v);
  ASSERT_TRUE(ParseSize("16MiB", &v, &err));
  EXPECT_EQ(16u << 20, v);
  ASSERT_TRUE(ParseSize("1GiB", &v, &err));
  EXPECT_EQ(1u << 30, v);
  ASSERT_TRUE(ParseSize("512", &v, &err));
  EXPECT_EQ(512u, v);
  ASSERT_TRUE(ParseSize("10KB", &v, &err));
  EXPECT_EQ(10000u, v);
  ASSERT_TRUE(ParseSize("1.5KiB", &v, &err));
  EXPECT_EQ(1536u, v);
}

TEST(ParseSize, ErrorsNameTheText) {
  uint64_t v;
  std::string err;
  EXPECT_FALSE(ParseSize("12 parsecs", &v, &err));
  EXPECT_EQ("invalid size '12 parsecs': unknown unit ' parsecs' (use B, KiB, MiB or GiB)", err);
  EXPECT_FALSE(ParseSize("big", &v, &err));
  EXPECT_EQ("invalid size 'big' (expected e.g. \"64KiB\", \"16MiB\", \"1GiB\")", err);
}

TEST(FormatDuration, ShortestExactSpelling) {
  EXPECT_EQ("0s", FormatDuration(Duration(0)));
  EXPECT_EQ("250ms", FormatDuration(Duration(250)));
  EXPECT_EQ("1.5s", FormatDuration(Duration(1500)));
  EXPECT_EQ("9s", FormatDuration(Duration(9000)));
  EXPECT_EQ("2m", FormatDuration(Duration(120000)));
  EXPECT_EQ("1h", FormatDuration(Duration(3600000)));
}

TEST(ParseUnsigned, RejectsSignsAndOverflow) {
  uint64_t v;
  EXPECT_TRUE(ParseUnsigned("18446744073709551615", &v));
  EXPECT_FALSE(ParseUnsigned("18446744073709551616", &v));
  EXPECT_FALSE(ParseUnsigned("-1", &v));
  EXPECT_FALSE(ParseUnsigned("", &v));
  EXPECT_FALSE(ParseUnsigned(" 1", &v));
}

}  // namespace
}  // namespace steward
