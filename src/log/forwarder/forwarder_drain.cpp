// The forwarder's drain at shutdown (SPEC §4 step 5): every pipe read to its
// end, /dev/log emptied, every sink delivered or in an outage, then exit.
#include <sys/socket.h>

#include <string>

#include "forwarder_internal.hpp"
#include "steward/util/diag.hpp"

namespace steward::log::forwarder {

void Forwarder::StartDrain(Duration left) {
  if (draining_) return;
  draining_ = true;
  // Leave PID 1 a moment between our deadline and its SIGKILL.
  Duration mine = left > Duration(400) ? left - Duration(200) : left / 2;
  drain_deadline_.Start(mine);
  drain_poll_.Start(0.02, 0.02);
  Kick();
  CheckDrained();
}

void Forwarder::OnDrainTimer() {
  Warning("log forwarder: shutdown deadline reached before every record was delivered");
  ev_break(loop_, EVBREAK_ALL);
}

// Done when every pipe reached end of file with its records committed,
// /dev/log is empty, and every sink has delivered everything.
void Forwarder::CheckDrained() {
  if (!started_) return;
  bool done = dirty_sinks_ == 0 && dirty_sources_.empty();
  ForEachSource([&](Source* s) {
    if (s->waiting || s->commit_pending) done = false;
    if (s->kind == Source::Kind::kPipe && !s->eof) done = false;
  });
  if (syslog_ && done) {
    char b;
    if (syslog_->datagram_peeked || recv(syslog_->fd.get(), &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0) {
      done = false;
      Kick();
    }
  }
  // A sink in an outage is not waited for (Sink::NothingToWaitFor, the
  // reload handover's rule too): the stop must fit in shutdown_timeout.
  for (const auto& s : sinks_) {
    if (s && !s->NothingToWaitFor()) done = false;
  }
  if (!done) return;
  TellWhatStaysInSpools();
  ev_break(loop_, EVBREAK_ALL);
}

// The records a sink in an outage could not deliver before the exit: where
// they are, so that nobody thinks them lost (or thinks them delivered).
void Forwarder::TellWhatStaysInSpools() {
  std::string dir = runtime_dir_.empty() ? "" : runtime_dir_ + "/log";
  for (NetSink* sink : net_sinks_) {
    if (!sink->InOutage() || sink->Idle()) continue;
    uint64_t left = sink->Undelivered();
    if (left == 0) continue;
    if (!spool_files_.count(sink->name())) {
      Warning("{}: not waited for at shutdown ({}); {} records were in a spool in memory and are "
              "lost (a writable runtime directory keeps them)",
              sink->name(), sink->problem(), left);
    } else {
      Warning("{}: not waited for at shutdown ({}); {} records stay in {}/{}.spool",
              sink->name(), sink->problem(), left, dir, sink->name());
    }
  }
}

}  // namespace steward::log::forwarder
