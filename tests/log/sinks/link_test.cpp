// The network sink's connection table (link.hpp): every state x event
// cell, with a fake host and a fake sender that write down what they are
// asked, and the events each cell raises.
#include "steward/log/sinks/link.hpp"

#include <ev.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace steward::log {
namespace {

using Kind = Sender::Step::Kind;

struct Log {
  std::vector<std::string> calls;
  std::string Take() {
    std::string out;
    for (const std::string& c : calls) out += (out.empty() ? "" : "; ") + c;
    calls.clear();
    return out;
  }
};

class FakeSender : public Sender {
 public:
  explicit FakeSender(Log* log) : log_(log) {}
  Step Handshake() override { return Say("handshake", handshake); }
  Step Open() override { return Say("open", open); }
  Step Send() override { return Say("send", send); }
  Step Receive() override { return Say("receive", receive); }
  bool Drained() const override { return true; }
  Kind handshake = Kind::kPending, open = Kind::kPending, send = Kind::kPending,
       receive = Kind::kPending;

 private:
  Step Say(const char* what, Kind k) {
    log_->calls.push_back(what);
    return {k, k == Kind::kPending || k == Kind::kDone ? "" : std::string(what) + " broke"};
  }
  Log* log_;
};

class FakeHost : public LinkHost {
 public:
  explicit FakeHost(Log* log) : log_(log) {}
  void Resolve() override { log_->calls.push_back("resolve"); }
  bool Connect(const std::string& address, bool* in_progress, std::string*) override {
    log_->calls.push_back("connect " + address);
    *in_progress = connect_in_progress;
    return true;
  }
  int SocketError() override {
    log_->calls.push_back("socket-error");
    return 0;
  }
  std::unique_ptr<Sender> NewSender(std::string*) override {
    log_->calls.push_back("new-sender");
    auto s = std::make_unique<FakeSender>(log_);
    s->handshake = sender_handshake;
    s->open = sender_open;
    return s;
  }
  void Close() override { log_->calls.push_back("close"); }
  void Watch(int events) override { log_->calls.push_back("watch " + std::to_string(events)); }
  void StartTimer(Duration after) override {
    log_->calls.push_back(after == Link::kOpenTimeout ? "timer 10s" : "timer backoff");
  }
  void StopTimer() override { log_->calls.push_back("stop-timer"); }
  void ProblemChanged() override { log_->calls.push_back("problem"); }
  bool connect_in_progress = true;
  Kind sender_handshake = Kind::kPending, sender_open = Kind::kPending;

 private:
  Log* log_;
};

LinkInput Input(LinkEvent e) {
  switch (e) {
    case LinkEvent::kResolved: return {e, "192.0.2.1", 0};
    case LinkEvent::kReady: return {e, "", EV_READ | EV_WRITE};
    case LinkEvent::kFailed:
    case LinkEvent::kLost: return {e, "refused", 0};
    default: return {e, "", 0};
  }
}

struct Expect {
  LinkState next;
  const char* calls;
  const char* raised;  // events raised, by name
};

using St = LinkState;
constexpr const char* kBackOff = "problem; close; timer backoff";
const Expect kNothing[kLinkStateCount] = {{St::kWaiting, "", ""},     {St::kResolving, "", ""},
                                          {St::kConnecting, "", ""},  {St::kHandshaking, "", ""},
                                          {St::kOpening, "", ""},     {St::kConnected, "", ""}};
#define N(s) kNothing[int(St::s)]

// Columns: Start, Timer, Resolved, Up, Ready, Handshook, Opened, Send, Failed, Lost.
const Expect kExpected[kLinkStateCount][kLinkEventCount] = {
    /* waiting */ {{St::kResolving, "resolve", ""}, {St::kResolving, "resolve", ""}, N(kWaiting),
                   N(kWaiting), N(kWaiting), N(kWaiting), N(kWaiting), N(kWaiting), N(kWaiting),
                   N(kWaiting)},
    /* resolving */ {N(kResolving), N(kResolving), {St::kConnecting, "connect 192.0.2.1; watch 2", ""},
                     N(kResolving), N(kResolving), N(kResolving), N(kResolving), N(kResolving),
                     {St::kWaiting, kBackOff, ""}, N(kResolving)},
    /* connecting */ {N(kConnecting), N(kConnecting), N(kConnecting),
                      {St::kHandshaking, "new-sender; timer 10s; handshake; watch 0", ""},
                      {St::kConnecting, "socket-error", "up"}, N(kConnecting), N(kConnecting),
                      N(kConnecting), {St::kWaiting, kBackOff, ""}, N(kConnecting)},
    /* handshaking */ {N(kHandshaking), {St::kHandshaking, "", "failed"}, N(kHandshaking),
                       N(kHandshaking), {St::kHandshaking, "handshake; watch 0", ""},
                       {St::kOpening, "open; watch 0", ""}, N(kHandshaking), N(kHandshaking),
                       {St::kWaiting, kBackOff, ""}, N(kHandshaking)},
    /* opening */ {N(kOpening), {St::kOpening, "", "failed"}, N(kOpening), N(kOpening),
                   {St::kOpening, "receive; watch 0; send; watch 0", ""}, N(kOpening),
                   {St::kConnected, "stop-timer; problem; send; watch 0", ""},
                   {St::kOpening, "send; watch 0", ""}, {St::kWaiting, kBackOff, ""},
                   {St::kWaiting, kBackOff, ""}},
    /* connected */ {N(kConnected), {St::kConnected, "send; watch 0", ""}, N(kConnected),
                     N(kConnected), {St::kConnected, "receive; watch 0; send; watch 0", ""},
                     N(kConnected), N(kConnected), {St::kConnected, "send; watch 0", ""},
                     N(kConnected), {St::kWaiting, kBackOff, ""}},
};
#undef N

TEST(LinkTable, EveryCellGoesToItsStateWithItsActions) {
  for (int s = 0; s < kLinkStateCount; ++s) {
    for (int e = 0; e < kLinkEventCount; ++e) {
      Log log;
      FakeHost host(&log);
      Spool spool;
      SpoolCursor cursor(&spool, "central");
      Link link(&host, &cursor, "central", "tcp://192.0.2.1:514", false);
      bool has_sender = s >= int(St::kHandshaking);
      link.SetForTest(LinkState(s), has_sender ? std::make_unique<FakeSender>(&log) : nullptr);
      std::deque<LinkInput> raised = link.CellForTest(Input(LinkEvent(e)));
      std::string names;
      for (const LinkInput& r : raised) names += (names.empty() ? "" : " ") + std::string(LinkEventName(r.event));
      const Expect& x = kExpected[s][e];
      std::string cell = std::string(LinkStateName(LinkState(s))) + " x " + LinkEventName(LinkEvent(e));
      EXPECT_EQ(LinkStateName(x.next), std::string(LinkStateName(link.state()))) << cell;
      EXPECT_EQ(x.calls, log.Take()) << cell;
      EXPECT_EQ(x.raised, names) << cell;
      // A connection that ended has no sender any more.
      if (link.state() == St::kWaiting && s != int(St::kWaiting)) {
        EXPECT_EQ(nullptr, link.sender()) << cell;
      }
    }
  }
}

// The timeouts say which opening did not come.
TEST(LinkTable, TimeoutsNameTheOpeningThatDidNotCome) {
  Log log;
  FakeHost host(&log);
  Spool spool;
  SpoolCursor cursor(&spool, "central");
  Link tls(&host, &cursor, "central", "tls://192.0.2.1:6514", true);
  tls.SetForTest(St::kHandshaking, std::make_unique<FakeSender>(&log));
  EXPECT_EQ("TLS: no handshake from the collector within 10 s", tls.CellForTest(Input(LinkEvent::kTimer)).at(0).text);
  Link plain(&host, &cursor, "central", "tcp://192.0.2.1:514", false);
  plain.SetForTest(St::kHandshaking, std::make_unique<FakeSender>(&log));
  EXPECT_EQ("no answer from the collector within 10 s", plain.CellForTest(Input(LinkEvent::kTimer)).at(0).text);
  plain.SetForTest(St::kOpening, std::make_unique<FakeSender>(&log));
  EXPECT_EQ("RELP: no answer to open within 10 s (is it an imrelp port?)",
            plain.CellForTest(Input(LinkEvent::kTimer)).at(0).text);
}

// A sender's steps become the table's events: done, failed, lost.
TEST(LinkTable, SenderStepsBecomeEvents) {
  struct Case {
    LinkState state;
    LinkEvent event;
    Kind FakeSender::*step;
    Kind kind;
    const char* raised;
    const char* text;
  };
  const Case cases[] = {
      {St::kHandshaking, LinkEvent::kReady, &FakeSender::handshake, Kind::kDone, "handshook", ""},
      {St::kHandshaking, LinkEvent::kReady, &FakeSender::handshake, Kind::kFailed, "failed", "handshake broke"},
      {St::kHandshaking, LinkEvent::kHandshook, &FakeSender::open, Kind::kDone, "opened", ""},
      {St::kHandshaking, LinkEvent::kHandshook, &FakeSender::open, Kind::kLost, "lost", "open broke"},
      {St::kOpening, LinkEvent::kReady, &FakeSender::receive, Kind::kDone, "opened", ""},
      {St::kOpening, LinkEvent::kReady, &FakeSender::receive, Kind::kFailed, "failed", "receive broke"},
      {St::kConnected, LinkEvent::kReady, &FakeSender::receive, Kind::kLost, "lost", "receive broke"},
      {St::kConnected, LinkEvent::kSend, &FakeSender::send, Kind::kLost, "lost", "send broke"},
  };
  for (const Case& c : cases) {
    Log log;
    FakeHost host(&log);
    Spool spool;
    SpoolCursor cursor(&spool, "central");
    Link link(&host, &cursor, "central", "tcp://192.0.2.1:514", false);
    auto sender = std::make_unique<FakeSender>(&log);
    (*sender).*c.step = c.kind;
    link.SetForTest(c.state, std::move(sender));
    std::deque<LinkInput> raised = link.CellForTest(Input(c.event));
    ASSERT_EQ(1u, raised.size()) << LinkEventName(c.event);
    EXPECT_EQ(c.raised, std::string(LinkEventName(raised[0].event)));
    EXPECT_EQ(c.text, raised[0].text);
    // A receive that ended the step does not go on to send.
    EXPECT_EQ(std::string::npos, log.Take().find("receive; watch 0; send")) << c.raised;
  }
}

// With a socket connected at once and a sender with nothing to open (a
// datagram socket), one start goes through every state in one turn.
TEST(LinkTable, ADatagramSocketIsConnectedInOneTurn) {
  Log log;
  FakeHost host(&log);
  host.connect_in_progress = false;
  host.sender_handshake = Kind::kDone;
  host.sender_open = Kind::kDone;
  Spool spool;
  SpoolCursor cursor(&spool, "central");
  Link link(&host, &cursor, "central", "udp://192.0.2.1:514", false);
  link.Dispatch(Input(LinkEvent::kStart));
  EXPECT_EQ(St::kResolving, link.state());
  link.Dispatch(Input(LinkEvent::kResolved));
  EXPECT_EQ(St::kConnected, link.state());
  EXPECT_EQ("resolve; connect 192.0.2.1; new-sender; timer 10s; handshake; watch 0; open; watch 0; "
            "stop-timer; problem; send; watch 0",
            log.Take());
  EXPECT_EQ("", link.problem());
  // A lost connection waits out the back-off with the reason as its problem.
  link.Dispatch(Input(LinkEvent::kLost));
  EXPECT_EQ(St::kWaiting, link.state());
  EXPECT_EQ("refused", link.problem());
  EXPECT_EQ(kBackOff, log.Take());
}

// One message per outage, one more when it turns into a TLS or RELP
// failure the user must fix, and one when connected again; problem()
// follows every change.
TEST(LinkTable, OneMessagePerOutageAndOneWhenConnectedAgain) {
  Log log;
  FakeHost host(&log);
  host.sender_handshake = Kind::kDone;
  host.sender_open = Kind::kDone;
  Spool spool;
  SpoolCursor cursor(&spool, "central");
  Link link(&host, &cursor, "central", "tls://logs:6514", true);
  testing::internal::CaptureStderr();
  link.Dispatch({LinkEvent::kStart, "", 0});
  link.Dispatch({LinkEvent::kFailed, "cannot resolve 'logs': timeout", 0});
  link.Dispatch({LinkEvent::kTimer, "", 0});
  link.Dispatch({LinkEvent::kFailed, "cannot resolve 'logs': timeout", 0});
  EXPECT_EQ("cannot resolve 'logs': timeout", link.problem());
  link.Dispatch({LinkEvent::kTimer, "", 0});
  link.Dispatch({LinkEvent::kFailed, "TLS: certificate has expired", 0});
  link.Dispatch({LinkEvent::kTimer, "", 0});
  link.Dispatch({LinkEvent::kFailed, "TLS: certificate has expired", 0});
  EXPECT_EQ("TLS: certificate has expired", link.problem());
  link.Dispatch({LinkEvent::kTimer, "", 0});
  link.Dispatch({LinkEvent::kResolved, "192.0.2.1", 0});
  link.Dispatch({LinkEvent::kUp, "", 0});
  EXPECT_EQ(St::kConnected, link.state());
  EXPECT_EQ("", link.problem());
  link.Dispatch({LinkEvent::kLost, "Connection reset by peer", 0});
  EXPECT_EQ(
      "steward: warning: central: cannot connect to tls://logs:6514: cannot resolve 'logs': "
      "timeout; retrying with back-off, records wait in the spool\n"
      "steward: warning: central: TLS: certificate has expired (connecting to tls://logs:6514); "
      "retrying with back-off, records wait in the spool\n"
      "steward: info: central: connected to tls://logs:6514\n"
      "steward: warning: central: connection to tls://logs:6514 lost: Connection reset by peer; "
      "reconnecting, records wait in the spool\n",
      testing::internal::GetCapturedStderr());
  EXPECT_EQ("Connection reset by peer", link.problem());
}

}  // namespace
}  // namespace steward::log
