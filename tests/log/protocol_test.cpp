#include "steward/log/protocol.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace steward::log {
namespace {

struct Pair {
  Pair() {
    int sv[2];
    EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
    a.Reset(sv[0]);
    b.Reset(sv[1]);
  }
  UniqueFd a, b;
};

TEST(LogProtocol, RoundTripWithDescriptors) {
  Pair p;
  int fds[2];
  ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
  Message m;
  m.type = MsgType::kAttach;
  m.id = 7;
  m.value = -42;
  m.strings = {"web", "", "1", "=", "central"};
  m.fds = {fds[0], fds[1]};
  ASSERT_EQ(1, SendMessage(p.a.get(), m));
  close(fds[0]);
  close(fds[1]);
  Message got;
  std::vector<UniqueFd> owned;
  ASSERT_EQ(1, ReceiveMessage(p.b.get(), &got, &owned));
  EXPECT_EQ(MsgType::kAttach, got.type);
  EXPECT_EQ(7u, got.id);
  EXPECT_EQ(-42, got.value);
  EXPECT_EQ(m.strings, got.strings);
  ASSERT_EQ(2u, owned.size());
  // The descriptors work: the received pipe carries bytes.
  ASSERT_EQ(2, write(owned[1].get(), "hi", 2));
  char buf[2];
  ASSERT_EQ(2, read(owned[0].get(), buf, 2));
  EXPECT_EQ(FD_CLOEXEC, fcntl(owned[0].get(), F_GETFD) & FD_CLOEXEC);
}

TEST(LogProtocol, EmptySocketAndClosedPeer) {
  Pair p;
  Message got;
  std::vector<UniqueFd> owned;
  EXPECT_EQ(-1, ReceiveMessage(p.b.get(), &got, &owned));
  EXPECT_EQ(EAGAIN, errno);
  p.a.Reset();
  EXPECT_EQ(0, ReceiveMessage(p.b.get(), &got, &owned));
}

TEST(LogProtocol, MalformedMessagesAreRejected) {
  Pair p;
  Message got;
  std::vector<UniqueFd> owned;
  ASSERT_EQ(3, send(p.a.get(), "abc", 3, 0));
  EXPECT_EQ(-1, ReceiveMessage(p.b.get(), &got, &owned));
  EXPECT_EQ(EBADMSG, errno);
  // A string length past the end of the message.
  std::string bad(17, '\0');
  bad[0] = char(MsgType::kAttach);
  bad[13] = 1;
  bad += std::string("\xff\x00\x00\x00x", 5);
  ASSERT_EQ(ssize_t(bad.size()), send(p.a.get(), bad.data(), bad.size(), 0));
  EXPECT_EQ(-1, ReceiveMessage(p.b.get(), &got, &owned));
  EXPECT_EQ(EBADMSG, errno);
}

TEST(LogProtocol, SendToAGonePeerFailsWithoutSigpipe) {
  Pair p;
  p.b.Reset();
  Message m;
  EXPECT_EQ(-1, SendMessage(p.a.get(), m));
  EXPECT_EQ(EPIPE, errno);
}

// Every typed message survives Encode, the socket and Decode unchanged,
// and decodes as nothing else.
template <class T>
T RoundTrip(const Pair& p, const T& in, MsgType type) {
  Message m = Encode(in);
  EXPECT_EQ(type, m.type);
  EXPECT_EQ(1, SendMessage(p.a.get(), m));
  Message got;
  std::vector<UniqueFd> owned;
  EXPECT_EQ(1, ReceiveMessage(p.b.get(), &got, &owned));
  T out;
  EXPECT_TRUE(Decode(got, &out));
  DetachedMsg other;
  if (type != MsgType::kDetached) {
    EXPECT_FALSE(Decode(got, &other));
  }
  return out;
}

TEST(LogProtocol, TypedMessagesRoundTrip) {
  Pair p;
  int fds[2];
  ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
  UniqueFd r(fds[0]), w(fds[1]);

  AttachMsg a;
  a.id = 9;
  a.name = "web";
  a.prefix = "w";
  a.console = false;
  a.sinks = std::vector<std::string>{"central", "file"};
  a.fds = {r.get(), w.get()};
  AttachMsg a2 = RoundTrip(p, a, MsgType::kAttach);
  EXPECT_EQ(9u, a2.id);
  EXPECT_EQ("web", a2.name);
  EXPECT_EQ("w", a2.prefix);
  EXPECT_FALSE(a2.console);
  ASSERT_TRUE(a2.sinks.has_value());
  EXPECT_EQ((std::vector<std::string>{"central", "file"}), *a2.sinks);
  EXPECT_EQ(2u, a2.fds.size());
  a.sinks.reset();
  a.console = true;
  a.fds.clear();
  AttachMsg a3 = RoundTrip(p, a, MsgType::kAttach);
  EXPECT_FALSE(a3.sinks.has_value());
  EXPECT_TRUE(a3.console);
  EXPECT_FALSE(a3.own);
  EXPECT_TRUE(a3.fds.empty());
  a.own = true;  // steward's own lines: on the console (its stderr) whatever console says
  a.console = false;
  AttachMsg a4 = RoundTrip(p, a, MsgType::kAttach);
  EXPECT_TRUE(a4.own);
  EXPECT_TRUE(a4.console);

  SetPidMsg sp = RoundTrip(p, SetPidMsg{3, 4242}, MsgType::kSetPid);
  EXPECT_EQ(3u, sp.id);
  EXPECT_EQ(4242, sp.pid);
  EXPECT_EQ(5u, RoundTrip(p, DetachMsg{5}, MsgType::kDetach).id);
  SpoolMsg sm = RoundTrip(p, SpoolMsg{"central", r.get()}, MsgType::kSpool);
  EXPECT_EQ("central", sm.sink);
  EXPECT_GE(sm.fd, 0);
  EXPECT_GE(RoundTrip(p, SyslogMsg{r.get()}, MsgType::kSyslog).fd, 0);
  RoundTrip(p, StartMsg{}, MsgType::kStart);
  EXPECT_EQ(Duration(1500), RoundTrip(p, DrainMsg{Duration(1500)}, MsgType::kDrain).left);
  EXPECT_EQ(12, RoundTrip(p, WidthMsg{12}, MsgType::kWidth).width);
  TailMsg t = RoundTrip(p, TailMsg{"web", 20, true, r.get()}, MsgType::kTail);
  EXPECT_EQ("web", t.service);
  EXPECT_EQ(20, t.lines);
  EXPECT_TRUE(t.follow);
  EXPECT_GE(t.fd, 0);
  EXPECT_TRUE(t.configured);
  TailMsg tag = RoundTrip(p, TailMsg{"db", 0, false, r.get(), false}, MsgType::kTail);
  EXPECT_FALSE(tag.follow);
  EXPECT_FALSE(tag.configured);  // maybe a syslog tag: only a ring the forwarder has answers
  tag = RoundTrip(p, TailMsg{"cron", 5, true, r.get(), false}, MsgType::kTail);
  EXPECT_TRUE(tag.follow);
  EXPECT_FALSE(tag.configured);
  EXPECT_EQ(77u, RoundTrip(p, DetachedMsg{77}, MsgType::kDetached).id);
  DroppedMsg d = RoundTrip(p, DroppedMsg{"central", 1ull << 40}, MsgType::kDropped);
  EXPECT_EQ("central", d.sink);
  EXPECT_EQ(1ull << 40, d.total);
}

TEST(LogProtocol, HandoverMessagesRoundTrip) {
  Pair p;
  int fds[2];
  ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
  UniqueFd r(fds[0]), w(fds[1]);
  HandoverMsg h{Duration(3000), true, {"central", "relp"}};
  HandoverMsg h2 = RoundTrip(p, h, MsgType::kHandover);
  EXPECT_EQ(Duration(3000), h2.left);
  EXPECT_TRUE(h2.drain_syslog);
  EXPECT_EQ((std::vector<std::string>{"central", "relp"}), h2.kept);
  HandoverMsg h3 = RoundTrip(p, HandoverMsg{Duration(0), false, {}}, MsgType::kHandover);
  EXPECT_FALSE(h3.drain_syslog);
  EXPECT_TRUE(h3.kept.empty());
  EXPECT_GE(RoundTrip(p, RingsMsg{r.get()}, MsgType::kRings).fd, 0);
  std::vector<int> eight(8, w.get());
  EXPECT_EQ(8u, RoundTrip(p, TailsMsg{eight}, MsgType::kTails).fds.size());
}

TEST(LogProtocol, MalformedHandoverMessagesDoNotDecode) {
  Message m;
  m.type = MsgType::kHandover;
  m.value = -1;  // a negative time
  HandoverMsg h;
  EXPECT_FALSE(Decode(m, &h));
  m.value = 10;
  m.id = 2;  // not a flag
  EXPECT_FALSE(Decode(m, &h));
  m.id = 0;
  m.fds = {0};  // carries nothing
  EXPECT_FALSE(Decode(m, &h));
  m.fds.clear();
  EXPECT_TRUE(Decode(m, &h));
  m.type = MsgType::kRings;
  RingsMsg rings;
  EXPECT_FALSE(Decode(m, &rings));  // no descriptor
  m.fds = {0, 1};
  EXPECT_FALSE(Decode(m, &rings));  // two
  m.type = MsgType::kTails;
  m.fds.clear();
  TailsMsg tails;
  EXPECT_FALSE(Decode(m, &tails));  // none
  m.fds.assign(9, 0);
  EXPECT_FALSE(Decode(m, &tails));  // more than a message carries
  m.fds.assign(3, 0);
  m.strings = {"x"};
  EXPECT_FALSE(Decode(m, &tails));
}

TEST(LogProtocol, MalformedTypedMessagesDoNotDecode) {
  Message m;
  m.type = MsgType::kAttach;
  m.strings = {"web", "", "1"};  // one short
  AttachMsg a;
  EXPECT_FALSE(Decode(m, &a));
  m.type = MsgType::kSpool;
  m.strings = {"central"};  // no descriptor
  SpoolMsg s;
  EXPECT_FALSE(Decode(m, &s));
  m.type = MsgType::kDropped;
  m.strings = {};
  DroppedMsg d;
  EXPECT_FALSE(Decode(m, &d));
}

}  // namespace
}  // namespace steward::log
