#include "steward/log/record.hpp"

#include <gtest/gtest.h>

namespace steward::log {
namespace {

TEST(LogRecord, StreamNames) {
  EXPECT_STREQ("stdout", StreamName(Stream::kStdout));
  EXPECT_STREQ("stderr", StreamName(Stream::kStderr));
  EXPECT_STREQ("syslog", StreamName(Stream::kSyslog));
}

// steward's own lines become records of service "steward" with the level
// as severity, and are written back to the console as they were.
TEST(LogRecord, OwnLinesTakeTheirLevelAsSeverity) {
  EXPECT_EQ(kSeverityWarning, OwnLineSeverity("steward: warning: web: exited with status 3; restarting"));
  EXPECT_EQ(kSeverityErr, OwnLineSeverity("steward: error: web: failed for good: exited with status 3"));
  EXPECT_EQ(kSeverityInfo, OwnLineSeverity("steward: info: web: started (pid 42)"));
  EXPECT_EQ(7, OwnLineSeverity("steward: debug: x"));
  EXPECT_EQ(kSeverityInfo, OwnLineSeverity("not steward's shape"));
  EXPECT_EQ(kSeverityInfo, OwnLineSeverity("steward: warningless"));
}

TEST(LogRecord, EncodeDecodeRoundTrip) {
  Record r;
  r.time_us = 1795638662123456;
  r.service = "web";
  r.stream = Stream::kSyslog;
  r.severity = 2;
  r.facility = 23;
  r.tag = "cron";
  r.pid = 4242;
  r.partial = true;
  r.line = std::string("bytes \0 \xff and\nall", 17);
  std::string bytes;
  EncodeRecord(r, &bytes);
  Record back;
  ASSERT_TRUE(DecodeRecord(bytes, &back));
  EXPECT_EQ(r.time_us, back.time_us);
  EXPECT_EQ(r.service, back.service);
  EXPECT_EQ(r.stream, back.stream);
  EXPECT_EQ(r.severity, back.severity);
  EXPECT_EQ(r.facility, back.facility);
  EXPECT_EQ(r.tag, back.tag);
  EXPECT_EQ(r.pid, back.pid);
  EXPECT_EQ(r.partial, back.partial);
  EXPECT_EQ(r.line, back.line);
}

TEST(LogRecord, NoFacilityRoundTrips) {
  Record r;
  r.service = "a";
  std::string bytes;
  EncodeRecord(r, &bytes);
  Record back;
  ASSERT_TRUE(DecodeRecord(bytes, &back));
  EXPECT_EQ(-1, back.facility);
  EXPECT_FALSE(back.partial);
}

TEST(LogRecord, DecodeRejectsTruncatedAndTrailingBytes) {
  Record r;
  r.service = "web";
  r.line = "hello";
  std::string bytes;
  EncodeRecord(r, &bytes);
  Record back;
  EXPECT_FALSE(DecodeRecord(std::string_view(bytes).substr(0, bytes.size() - 1), &back));
  EXPECT_FALSE(DecodeRecord(bytes + "x", &back));
  EXPECT_FALSE(DecodeRecord("", &back));
}

}  // namespace
}  // namespace steward::log
