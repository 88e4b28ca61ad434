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

}  // namespace
}  // namespace steward::log
