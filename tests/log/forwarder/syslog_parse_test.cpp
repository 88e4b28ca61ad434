#include "steward/log/forwarder/syslog_parse.hpp"

#include <gtest/gtest.h>

#include <string>

namespace steward::log {
namespace {

TEST(SyslogParse, Glibc) {
  SyslogMessage m = ParseSyslog("<30>Nov 25 20:31:02 nginx[123]: started");
  EXPECT_TRUE(m.has_pri);
  EXPECT_FALSE(m.rfc5424);
  EXPECT_EQ(3, m.facility);
  EXPECT_EQ(6, m.severity);
  EXPECT_EQ("Nov 25 20:31:02", m.timestamp);
  EXPECT_EQ("nginx", m.tag);
  EXPECT_EQ(123, m.pid);
  EXPECT_EQ("", m.hostname);
  EXPECT_EQ("started", m.msg);
}

TEST(SyslogParse, GlibcWithoutPid) {
  SyslogMessage m = ParseSyslog("<13>Nov  5 07:03:09 root: hello world");
  EXPECT_EQ(1, m.facility);
  EXPECT_EQ(5, m.severity);
  EXPECT_EQ("Nov  5 07:03:09", m.timestamp);
  EXPECT_EQ("root", m.tag);
  EXPECT_EQ(0, m.pid);
  EXPECT_EQ("hello world", m.msg);
}

TEST(SyslogParse, MuslTrailingNewline) {
  SyslogMessage m = ParseSyslog("<11>Nov 25 20:31:02 app[7]: boom\n");
  EXPECT_EQ(1, m.facility);
  EXPECT_EQ(3, m.severity);
  EXPECT_EQ("app", m.tag);
  EXPECT_EQ(7, m.pid);
  EXPECT_EQ("boom", m.msg);
}

TEST(SyslogParse, TrailingNulAndNewline) {
  EXPECT_EQ("x", ParseSyslog(std::string("<13>Nov 25 20:31:02 t: x\n\0", 27)).msg);
  EXPECT_EQ("x", ParseSyslog(std::string("<13>Nov 25 20:31:02 t: x\0", 26)).msg);
}

TEST(SyslogParse, Rfc5424) {
  SyslogMessage m = ParseSyslog(
      "<165>1 2026-11-25T20:31:02.123Z host app 42 ID47 [ex@32473 a=\"x\\]y\"] the message");
  EXPECT_TRUE(m.rfc5424);
  EXPECT_EQ(20, m.facility);
  EXPECT_EQ(5, m.severity);
  EXPECT_EQ("2026-11-25T20:31:02.123Z", m.timestamp);
  EXPECT_EQ("host", m.hostname);
  EXPECT_EQ("app", m.tag);
  EXPECT_EQ(42, m.pid);
  EXPECT_EQ("ID47", m.msgid);
  EXPECT_EQ("[ex@32473 a=\"x\\]y\"]", m.sd);
  EXPECT_EQ("the message", m.msg);
}

TEST(SyslogParse, Rfc5424NilFieldsBomAndNewline) {
  SyslogMessage m = ParseSyslog("<13>1 - - - - - - \xef\xbb\xbfhi\n");
  EXPECT_TRUE(m.rfc5424);
  EXPECT_EQ("", m.timestamp);
  EXPECT_EQ("", m.hostname);
  EXPECT_EQ("", m.tag);
  EXPECT_EQ(0, m.pid);
  EXPECT_EQ("", m.msgid);
  EXPECT_EQ("", m.sd);
  EXPECT_EQ("hi", m.msg);
}

TEST(SyslogParse, Rfc5424FromLogger) {
  // util-linux `logger --rfc5424 -u SOCKET -t app hello`.
  SyslogMessage m = ParseSyslog(
      "<13>1 2026-11-25T20:31:02.123456+00:00 box app - - [timeQuality tzKnown=\"1\" "
      "isSynced=\"0\"] hello");
  EXPECT_EQ("app", m.tag);
  EXPECT_EQ(0, m.pid);
  EXPECT_EQ("hello", m.msg);
}

TEST(SyslogParse, Rfc5424WithoutMessage) {
  SyslogMessage m = ParseSyslog("<13>1 2026-11-25T20:31:02Z h a 1 m -");
  EXPECT_TRUE(m.rfc5424);
  EXPECT_EQ("", m.msg);
}

TEST(SyslogParse, Rfc3164WithHostname) {
  SyslogMessage m = ParseSyslog("<13>Nov 25 20:31:02 box root: hi there");
  EXPECT_EQ("box", m.hostname);
  EXPECT_EQ("root", m.tag);
  EXPECT_EQ("hi there", m.msg);
}

TEST(SyslogParse, MissingPri) {
  SyslogMessage m = ParseSyslog("just text\n");
  EXPECT_FALSE(m.has_pri);
  EXPECT_EQ(1, m.facility);
  EXPECT_EQ(5, m.severity);
  EXPECT_EQ("", m.tag);
  EXPECT_EQ("just text", m.msg);
}

TEST(SyslogParse, BadPriIsMessage) {
  EXPECT_FALSE(ParseSyslog("<192>x: y").has_pri);
  EXPECT_EQ("<192>x: y", ParseSyslog("<192>x: y").msg);
  EXPECT_FALSE(ParseSyslog("<>x").has_pri);
  EXPECT_FALSE(ParseSyslog("<1234>x").has_pri);
}

TEST(SyslogParse, TagWithoutTimestamp) {
  SyslogMessage m = ParseSyslog("<14>daemon[9]: up");
  EXPECT_EQ("", m.timestamp);
  EXPECT_EQ("daemon", m.tag);
  EXPECT_EQ(9, m.pid);
  EXPECT_EQ("up", m.msg);
}

TEST(SyslogParse, NoTag) {
  SyslogMessage m = ParseSyslog("<14>Nov 25 20:31:02 plain words only");
  EXPECT_EQ("", m.tag);
  EXPECT_EQ("plain words only", m.msg);
}

TEST(SyslogParse, NonNumericPidKeepsTheTag) {
  SyslogMessage m = ParseSyslog("<14>Nov 25 20:31:02 app[main]: x");
  EXPECT_EQ("app", m.tag);
  EXPECT_EQ(0, m.pid);
  EXPECT_EQ("x", m.msg);
}

TEST(SyslogParse, ColonInsideTheMessageStays) {
  SyslogMessage m = ParseSyslog("<14>Nov 25 20:31:02 app: key: value");
  EXPECT_EQ("app", m.tag);
  EXPECT_EQ("key: value", m.msg);
}

TEST(SyslogParse, EmptyDatagram) {
  SyslogMessage m = ParseSyslog("");
  EXPECT_FALSE(m.has_pri);
  EXPECT_EQ("", m.msg);
}

TEST(SafeTag, CutTo48Bytes) {
  EXPECT_EQ(std::string(48, 'a'), SafeTag(std::string(300, 'a')));
}

TEST(SafeTag, SlashesAndBytesOutsidePrintableAsciiBecomeUnderscores) {
  EXPECT_EQ(".._.._etc_passwd", SafeTag("../../etc/passwd"));
  EXPECT_EQ("a_b__c_d", SafeTag(std::string("a\x01" "b\xc3\xa9" "c\x7f" "d")));
  EXPECT_EQ("a_b", SafeTag(std::string("a\0b", 3)));
  EXPECT_EQ("web-1.x:y", SafeTag("web-1.x:y"));
}

TEST(SafeTag, EmptyIsSyslog) { EXPECT_EQ("syslog", SafeTag("")); }

}  // namespace
}  // namespace steward::log
