#include "steward/util/signals.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

TEST(Signals, NamesWithAndWithoutPrefixAnyCase) {
  EXPECT_EQ(SIGTERM, SignalNumber("SIGTERM"));
  EXPECT_EQ(SIGTERM, SignalNumber("TERM"));
  EXPECT_EQ(SIGTERM, SignalNumber("term"));
  EXPECT_EQ(SIGQUIT, SignalNumber("SIGQUIT"));
  EXPECT_EQ(SIGUSR1, SignalNumber("usr1"));
  EXPECT_EQ(SIGKILL, SignalNumber("9"));
  EXPECT_EQ(SIGWINCH, SignalNumber("SIGWINCH"));
}

TEST(Signals, RealtimeNames) {
  EXPECT_EQ(SIGRTMIN, SignalNumber("SIGRTMIN"));
  EXPECT_EQ(SIGRTMIN + 3, SignalNumber("RTMIN+3"));
  EXPECT_EQ(SIGRTMAX - 1, SignalNumber("SIGRTMAX-1"));
  EXPECT_EQ("SIGRTMIN+3", SignalName(SIGRTMIN + 3));
  EXPECT_EQ("SIGRTMAX-2", SignalName(SIGRTMAX - 2));
  EXPECT_EQ("SIGRTMAX", SignalName(SIGRTMAX));
}

TEST(Signals, UnknownIsZero) {
  EXPECT_EQ(0, SignalNumber("SIGFOO"));
  EXPECT_EQ(0, SignalNumber("0"));
  EXPECT_EQ(0, SignalNumber("65"));
  EXPECT_EQ(0, SignalNumber("RTMIN+99"));
  EXPECT_EQ(0, SignalNumber(""));
}

TEST(Signals, NameRoundTripsForEveryForwardableSignal) {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (!IsForwardable(sig)) continue;
    EXPECT_EQ(sig, SignalNumber(SignalName(sig))) << sig;
  }
}

TEST(Signals, ForwardableExcludesReapingJobControlAndUncatchable) {
  EXPECT_FALSE(IsForwardable(SIGCHLD));
  EXPECT_FALSE(IsForwardable(SIGTTIN));
  EXPECT_FALSE(IsForwardable(SIGTTOU));
  EXPECT_FALSE(IsForwardable(SIGKILL));
  EXPECT_FALSE(IsForwardable(SIGSTOP));
  EXPECT_TRUE(IsForwardable(SIGTSTP));
  EXPECT_TRUE(IsForwardable(SIGTERM));
  EXPECT_TRUE(IsForwardable(SIGRTMIN));
  EXPECT_TRUE(IsForwardable(SIGRTMAX));
}

}  // namespace
}  // namespace steward
