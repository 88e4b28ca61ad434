#include "steward/log/sinks/relp.hpp"

#include <gtest/gtest.h>

namespace steward::log::relp {
namespace {

TEST(Relp, FramesCarryLengthAndOmitEmptyData) {
  std::string out;
  AppendFrame(7, "syslog", "<30>1 - h a 1 stdout - hi", &out);
  AppendFrame(8, "close", "", &out);
  EXPECT_EQ("7 syslog 25 <30>1 - h a 1 stdout - hi\n8 close 0\n", out);
}

TEST(Relp, OpenOffersSyslog) {
  EXPECT_EQ(0u, OpenOffers().find("relp_version=0\nrelp_software=steward,"));
  EXPECT_NE(std::string::npos, OpenOffers().find("\ncommands=syslog"));
}

TEST(Relp, TransactionNumbersWrapToOne) {
  EXPECT_EQ(2u, NextTxnr(1));
  EXPECT_EQ(1u, NextTxnr(999999999));
}

TEST(Relp, ReaderSplitsFramesHoweverTheStreamIsCut) {
  std::string stream = "1 rsp 6 200 OK\n2 rsp 11 500 refused\n0 serverclose 0\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Reader r;
    std::vector<Frame> got;
    std::string err;
    ASSERT_TRUE(r.Feed(stream.substr(0, cut), &got, &err)) << err;
    ASSERT_TRUE(r.Feed(stream.substr(cut), &got, &err)) << err;
    ASSERT_EQ(3u, got.size()) << cut;
    EXPECT_EQ(1u, got[0].txnr);
    EXPECT_EQ("rsp", got[0].command);
    EXPECT_EQ("200 OK", got[0].data);
    EXPECT_EQ("500 refused", got[1].data);
    EXPECT_EQ(0u, got[2].txnr);
    EXPECT_EQ("serverclose", got[2].command);
    EXPECT_EQ("", got[2].data);
  }
}

TEST(Relp, ReaderRejectsWhatIsNotRelp) {
  const char* bad[] = {"x rsp 0\n", "1 RSP 0\n", "1 rsp 3 200 OK\n", "1 rsp 99999999 ",
                       "1234567890 rsp 0\n", "1 rsp 0 \n", "1 rsp 2 OKX"};
  const char* why[] = {"RELP: bad transaction number from the collector",
                       "RELP: bad command from the collector",
                       "RELP: frame from the collector does not end with a newline",
                       "RELP: bad data length from the collector",
                       "RELP: bad transaction number from the collector",
                       "RELP: bad data length from the collector",
                       "RELP: frame from the collector does not end with a newline"};
  for (size_t i = 0; i < std::size(bad); ++i) {
    Reader r;
    std::vector<Frame> got;
    std::string err;
    EXPECT_FALSE(r.Feed(bad[i], &got, &err)) << bad[i];
    EXPECT_EQ(why[i], err) << bad[i];
  }
}

TEST(Relp, ReaderHoldsAtMostOneBoundedFrame) {
  Reader r;
  std::vector<Frame> got;
  std::string err;
  // A length over the limit is refused before its data arrives.
  EXPECT_FALSE(r.Feed("1 rsp 65537 ", &got, &err));
  EXPECT_TRUE(r.Feed("1 rsp 65536 ", &got, &err)) << err;
  EXPECT_TRUE(r.Feed(std::string(65536, 'x'), &got, &err)) << err;
  EXPECT_TRUE(r.Feed("\n", &got, &err)) << err;
  ASSERT_EQ(1u, got.size());
  EXPECT_EQ(65536u, got[0].data.size());
}

TEST(Relp, ParsesRspCodes) {
  int code = 0;
  std::string text;
  ASSERT_TRUE(ParseRsp("200 OK", &code, &text));
  EXPECT_EQ(200, code);
  EXPECT_EQ("OK", text);
  ASSERT_TRUE(ParseRsp("200 OK\nrelp_version=0\ncommands=syslog", &code, &text));
  EXPECT_EQ("OK", text);
  ASSERT_TRUE(ParseRsp("500", &code, &text));
  EXPECT_EQ(500, code);
  EXPECT_EQ("", text);
  EXPECT_FALSE(ParseRsp("OK", &code, &text));
  EXPECT_FALSE(ParseRsp("2000 OK", &code, &text));
}

}  // namespace
}  // namespace steward::log::relp
