// steward's own lines in the forwarder (diag.hpp's hook): PID 1's, from
// the pipe LogHub::StartOwnLines() made, and this process's own warnings (a
// collector lost), as records of service "steward" with the level as
// severity: in the log sinks, in `ctl logs steward`, and on the console's
// stderr in their place among the services' lines.
#include <unistd.h>

#include "forwarder_internal.hpp"
#include "steward/util/diag.hpp"

namespace steward::log::forwarder {

namespace {
constexpr size_t kMaxOwnQueue = 256;  // this process's lines waiting for the next turn
}

// PID 1 wrote a line. What it said before on the control socket comes
// first: above all SetPid 0 for a reaped process, which takes what that
// process left in its pipe and ends its last line (SetPid), so that
// `web: exited` follows web's last line. The pipes of running services are
// not read ahead: what they write after `web: started` must stay after it.
void Forwarder::CatchUp() { OnControl(EV_READ); }

void Forwarder::EmitOwn(Source* s, std::string_view line) {
  rec_.time_us = now_ ? now_ : NowMicros();
  rec_.service = "steward";
  rec_.stream = Stream::kStderr;
  rec_.severity = OwnLineSeverity(line);
  rec_.facility = -1;
  rec_.tag.clear();
  rec_.pid = s ? getppid() : getpid();
  rec_.partial = false;
  rec_.line.assign(line);
  rec_.own = true;
  // With console = "off" there is no console sink; steward's own lines
  // still go to stderr, as they always did.
  if (!console_) WriteAll(STDERR_FILENO, rec_.line + "\n");
  uint64_t mask;
  if (s) {
    mask = s->svc->mask;
  } else {
    // This process's lines are mostly about a sink in trouble: never into
    // a sink that rejects records, which could reject them in turn (and
    // two such sinks would announce each other forever).
    mask = RouteMask("steward", true, false, {});
    for (const auto& t : sinks_)
      if (t && t.get() != console_ && t->rejected() != 0) mask &= ~(uint64_t(1) << t->index());
  }
  Dispatch(s, rec_, "steward", mask);
  Remember(s ? s->svc->ring : RingFor("steward"), rec_);
  rec_.own = false;
}

bool Forwarder::QueueOwn(void* self, std::string_view line) {
  auto* f = static_cast<Forwarder*>(self);
  // Said while its own lines are being routed (a sink refusing one): to
  // stderr only, or a failing sink would make records about itself forever.
  // Nor while a reload's handover makes every record safe: nothing new then.
  if (f->emitting_own_ || f->handing_over_ || f->own_queue_.size() >= kMaxOwnQueue) return false;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  f->own_queue_.emplace_back(line);
  // Said from a callback, it is emitted at the next turn of the loop, which
  // must not wait for the next event (a sink writing again may be the last).
  if (!f->own_wakeup_.active()) f->own_wakeup_.Start(0.);
  return true;
}

void Forwarder::EmitQueuedOwn() {
  if (own_queue_.empty() || !started_) return;  // the sinks are ready once started
  std::vector<std::string> lines;
  lines.swap(own_queue_);
  emitting_own_ = true;
  now_ = NowMicros();
  for (const std::string& l : lines) EmitOwn(nullptr, l);
  emitting_own_ = false;
}

}  // namespace steward::log::forwarder
