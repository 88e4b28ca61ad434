#include "steward/log/sinks/format.hpp"
#include "steward/util/json.hpp"

#include <stdlib.h>
#include <time.h>

#include <gtest/gtest.h>

namespace steward::log {
namespace {

constexpr int64_t kTime = 1795638662123456;  // 2026-11-25T20:31:02.123456Z

Record Rec(std::string service, Stream stream, std::string line, pid_t pid = 0) {
  Record r;
  r.time_us = kTime;
  r.service = std::move(service);
  r.stream = stream;
  r.severity = stream == Stream::kStderr ? kSeverityErr : kSeverityInfo;
  r.pid = pid;
  r.line = std::move(line);
  return r;
}

template <typename F>
std::string Out(F f) {
  std::string s;
  f(&s);
  return s;
}

TEST(LogFormat, Rfc3339WithMicroseconds) {
  EXPECT_EQ("2026-11-25T20:31:02.123456Z", Out([](std::string* o) { AppendRfc3339(kTime, o); }));
  EXPECT_EQ("1970-01-01T00:00:00.000007Z", Out([](std::string* o) { AppendRfc3339(7, o); }));
}

TEST(LogFormat, Rfc5424) {
  Record r = Rec("web", Stream::kStderr, "disk full", 42);
  EXPECT_EQ("<27>1 2026-11-25T20:31:02.123456Z box web 42 stderr - disk full",
            Out([&](std::string* o) { AppendRfc5424(r, 3, "box", o); }));
  r.stream = Stream::kStdout;
  r.severity = kSeverityInfo;
  r.pid = 0;
  EXPECT_EQ("<14>1 2026-11-25T20:31:02.123456Z box web - stdout - disk full",
            Out([&](std::string* o) { AppendRfc5424(r, 1, "box", o); }));
}

TEST(LogFormat, Rfc5424SyslogRecordKeepsItsOwnFacility) {
  Record r = Rec("cron", Stream::kSyslog, "job done", 7);
  r.facility = 9;
  r.severity = 5;
  EXPECT_EQ("<77>1 2026-11-25T20:31:02.123456Z - cron 7 syslog - job done",
            Out([&](std::string* o) { AppendRfc5424(r, 3, "", o); }));
}

TEST(LogFormat, Rfc5424PartialHasStructuredData) {
  Record r = Rec("web", Stream::kStdout, "abc", 1);
  r.partial = true;
  EXPECT_EQ("<30>1 2026-11-25T20:31:02.123456Z h web 1 stdout [steward@32473 partial=\"1\"] abc",
            Out([&](std::string* o) { AppendRfc5424(r, 3, "h", o); }));
}

TEST(LogFormat, Rfc5424EmptyMessageHasNoTrailingSpace) {
  Record r = Rec("web", Stream::kStdout, "", 1);
  EXPECT_EQ("<30>1 2026-11-25T20:31:02.123456Z h web 1 stdout -",
            Out([&](std::string* o) { AppendRfc5424(r, 3, "h", o); }));
}

TEST(LogFormat, AppNameIsSanitized) {
  EXPECT_EQ("-", SanitizeAppName(""));
  EXPECT_EQ("my_app_n_me", SanitizeAppName("my app\tn\xc3me").substr(0, 11));
  EXPECT_EQ(std::string(48, 'a'), SanitizeAppName(std::string(60, 'a')));
  Record r = Rec("a b", Stream::kStdout, "x", 1);
  EXPECT_EQ("<30>1 2026-11-25T20:31:02.123456Z h a_b 1 stdout - x",
            Out([&](std::string* o) { AppendRfc5424(r, 3, "h", o); }));
}

TEST(LogFormat, SdParamValueEscaping) {
  EXPECT_EQ(R"(a\"b\\c\]d[e)", Out([](std::string* o) { AppendSdParamValue(R"(a"b\c]d[e)", o); }));
}

class LogFormatLocalTime : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    saved_ = tz ? tz : "";
    had_ = tz != nullptr;
    setenv("TZ", "UTC0", 1);
    tzset();
  }
  void TearDown() override {
    if (had_) setenv("TZ", saved_.c_str(), 1); else unsetenv("TZ");
    tzset();
  }
  std::string saved_;
  bool had_ = false;
};

TEST_F(LogFormatLocalTime, Rfc3164) {
  Record r = Rec("web", Stream::kStderr, "disk full", 42);
  EXPECT_EQ("<27>Nov 25 20:31:02 box web[42]: disk full",
            Out([&](std::string* o) { AppendRfc3164(r, 3, "box", o); }));
}

TEST_F(LogFormatLocalTime, Rfc3164PadsTheDayWithASpaceAndOmitsAMissingPid) {
  Record r = Rec("web", Stream::kStdout, "hi");
  r.time_us = 1793862189000000;  // 2026-11-05T07:03:09Z
  EXPECT_EQ("<30>Nov  5 07:03:09 box web: hi",
            Out([&](std::string* o) { AppendRfc3164(r, 3, "box", o); }));
}

TEST_F(LogFormatLocalTime, Rfc3164TagCannotEndEarly) {
  Record r = Rec("a:b[c]", Stream::kStdout, "hi", 3);
  EXPECT_EQ("<30>Nov 25 20:31:02 box a_b_c_[3]: hi",
            Out([&](std::string* o) { AppendRfc3164(r, 3, "box", o); }));
}

TEST_F(LogFormatLocalTime, Rfc3164FollowsTheLocalZone) {
  setenv("TZ", "XYZ-2", 1);  // two hours east of UTC
  tzset();
  Record r = Rec("web", Stream::kStdout, "hi");
  EXPECT_EQ("<30>Nov 25 22:31:02 box web: hi",
            Out([&](std::string* o) { AppendRfc3164(r, 3, "box", o); }));
}

TEST(LogFormat, Framing) {
  EXPECT_EQ("5 hello", Out([](std::string* o) { AppendOctetCounted("hello", o); }));
  EXPECT_EQ("0 ", Out([](std::string* o) { AppendOctetCounted("", o); }));
  EXPECT_EQ("8 h\xc3\xa9llo!!", Out([](std::string* o) { AppendOctetCounted("h\xc3\xa9llo!!", o); }));
  EXPECT_EQ("a b\n", Out([](std::string* o) { AppendLfFramed("a\nb", o); }));
}

TEST(LogFormat, ConsolePrefixedPadsToTheLongestName) {
  std::string out;
  AppendPrefixed("web", 8, "GET /", &out);
  AppendPrefixed("postgres", 8, "ready", &out);
  AppendPrefixed("very-long-tag", 8, "x", &out);
  EXPECT_EQ("web      | GET /\npostgres | ready\nvery-long-tag | x\n", out);
}

TEST(LogFormat, ConsoleRaw) {
  EXPECT_EQ("just the line\n", Out([](std::string* o) { AppendRaw("just the line", o); }));
}

TEST(LogFormat, Json) {
  Record r = Rec("web", Stream::kStderr, "say \"hi\"\\", 5);
  EXPECT_EQ(R"({"time":"2026-11-25T20:31:02.123456Z","service":"web","stream":"stderr","msg":"say \"hi\"\\"})"
            "\n",
            Out([&](std::string* o) { AppendJson(r, r.service, o); }));
}

TEST(LogFormat, JsonPartialAndSyslogFields) {
  Record r = Rec("cron", Stream::kSyslog, "x");
  r.partial = true;
  r.facility = 9;
  r.severity = 5;
  EXPECT_EQ(R"({"time":"2026-11-25T20:31:02.123456Z","service":"cron","stream":"syslog","msg":"x","partial":true,"severity":5,"facility":9})"
            "\n",
            Out([&](std::string* o) { AppendJson(r, r.service, o); }));
}

TEST(LogFormat, JsonEscapesControlBytes) {
  EXPECT_EQ(R"("a\nb\tc\r\u0000\u001b[0m\u007f\b\f")",
            Out([](std::string* o) {
              AppendJsonString(std::string("a\nb\tc\r\0\x1b[0m\x7f\b\f", 14), o);
            }));
}

TEST(LogFormat, JsonKeepsValidUtf8) {
  EXPECT_EQ("\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
            Out([](std::string* o) { AppendJsonString("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", o); }));
}

TEST(LogFormat, JsonReplacesInvalidUtf8) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"\xff", R"("\ufffd")"},
      {"a\xc3", R"("a\ufffd")"},                  // truncated sequence
      {"\xc0\xaf", R"("\ufffd\ufffd")"},          // overlong '/'
      {"\xe0\x80\xaf", R"("\ufffd\ufffd\ufffd")"},  // overlong, 3 bytes
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},  // surrogate U+D800
      {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // past U+10FFFF
      {"\x80x", R"("\ufffdx")"},                  // lone continuation
      {"\xe2\x82", R"("\ufffd\ufffd")"},          // cut at the end
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.out, Out([&](std::string* o) { AppendJsonString(c.in, o); })) << c.out;
  }
}

TEST(LogFormat, FileLine) {
  Record r = Rec("web", Stream::kStdout, "GET / 200", 9);
  EXPECT_EQ("2026-11-25T20:31:02.123456Z web stdout GET / 200\n",
            Out([&](std::string* o) { AppendFileLine(r, o); }));
}

}  // namespace
}  // namespace steward::log
