// The forwarder's side of a reload (SPEC §4 step 5): finishing what it read, and the `ctl logs` state it leaves.
//
// A forwarder gets its LogConfig by fork, so a reload that changes [log]
// starts a new one. Killing the old one would repeat every record between
// its cursors and the kill; instead it hands over: it reads nothing more,
// waits until every record it read is safe in every sink (files written,
// network records in the spool, and delivered where the collector is up),
// stores the journal cursors, gives PID 1 its rings and followers, and exits
// 0. The next one starts at those cursors: no line read twice, none lost.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "forwarder_internal.hpp"
#include "steward/util/diag.hpp"

namespace steward::log::forwarder {

namespace {

constexpr size_t kMaxRingsFile = size_t(1) << 30;  // what LoadRings will look at

}  // namespace

void Forwarder::StartHandover(const HandoverMsg& m) {
  if (handing_over_ || draining_) return;
  handing_over_ = true;
  drain_syslog_ = m.drain_syslog && syslog_ != nullptr;
  kept_ = m.kept;
  // Blocked() now holds every source; stop what is armed so nothing wakes.
  ForEachSource([&](Source* s) {
    if (!(drain_syslog_ && s == syslog_.get())) s->io.Stop();
    s->partial.Stop();
  });
  // Leave PID 1 a moment between our deadline and its SIGKILL.
  Duration left = m.left > Duration(400) ? m.left - Duration(200) : m.left / 2;
  handover_deadline_.Start(left);
  handover_poll_.Start(0.01, 0.01);
  if (drain_syslog_) Kick();
  CheckHandedOver();
}

void Forwarder::OnHandoverTimer() { FinishHandover(false); }

// Done when every record read has been committed (no batch outstanding, no
// cursor waiting), the old /dev/log is empty if it must be, and every sink
// has delivered what it holds: a sink in an outage is not waited for
// (Sink::NothingToWaitFor, the drain's rule too), its spool keeps its
// records for the next forwarder.
void Forwarder::CheckHandedOver() {
  if (!handing_over_ || !started_) {
    if (handing_over_ && !started_) FinishHandover(true);  // nothing was read
    return;
  }
  bool done = dirty_sinks_ == 0 && dirty_sources_.empty();
  ForEachSource([&](Source* s) { done = done && !s->waiting && !s->commit_pending && !s->datagram_peeked; });
  if (done && drain_syslog_) {
    char b;
    if (recv(syslog_->fd.get(), &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0) {
      done = false;
      Kick();
    }
  }
  for (const auto& s : sinks_) {
    if (s && !s->NothingToWaitFor()) done = false;
  }
  if (done) FinishHandover(true);
}

void Forwarder::FinishHandover(bool in_time) {
  if (!handing_over_ || handed_over_) return;
  handed_over_ = true;
  handover_deadline_.Stop();
  handover_poll_.Stop();
  if (!in_time) {
    Warning("log forwarder: the reload's handover deadline came before every record was "
            "delivered; the next forwarder takes over from the last safe point");
  }
  std::string dir = runtime_dir_.empty() ? "" : runtime_dir_ + "/log";
  for (NetSink* sink : net_sinks_) {
    if (std::find(kept_.begin(), kept_.end(), sink->name()) != kept_.end() || sink->Idle()) continue;
    uint64_t left = sink->Undelivered();
    if (left == 0) continue;
    if (spool_fds_.count(sink->name()) || dir.empty()) {
      Warning("{}: removed by the reload with {} records not delivered; they were in a spool in "
              "memory and are lost",
              sink->name(), left);
    } else {
      Warning("{}: removed by the reload with {} records not delivered; they stay in {}/{}.spool "
              "(add the sink again to send them, or delete the file)",
              sink->name(), left, dir, sink->name());
    }
  }
  LeaveTails();
  // The messages must reach PID 1 before we exit: it reads them when it
  // reaps us. It reads its socket from its loop, so this is short.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!outbox_.empty() && std::chrono::steady_clock::now() < until) {
    struct pollfd p = {control_.get(), POLLOUT, 0};
    if (poll(&p, 1, 100) > 0) outbox_.Flush();
  }
  exit_status_ = 0;
  ev_break(loop_, EVBREAK_ALL);
}

// The rings (bounded by log.ring each) go into a memfd and the followers'
// sockets after it; PID 1 passes both to the next forwarder unread.
void Forwarder::LeaveTails() {
  if (rings_.empty()) return;
  std::vector<TailState> states;
  for (auto& t : tails_) {
    if (t->done()) continue;
    TailState st;
    for (const auto& [name, ring] : rings_) {
      if (ring.get() == t->ring()) st.service = name;
    }
    UniqueFd fd = t->Release(&st);
    if (!fd || st.service.empty()) continue;
    states.push_back(std::move(st));
    leaving_.push_back(std::move(fd));
  }
  std::string data = SaveRings(rings_, states);
  UniqueFd memfd(memfd_create("steward-rings", MFD_CLOEXEC));
  size_t off = 0;
  while (memfd && off < data.size()) {
    ssize_t n = pwrite(memfd.get(), data.data() + off, data.size() - off, off_t(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Warning("log forwarder: cannot keep the ctl logs history across the reload: {}", strerror(errno));
      return;
    }
    off += size_t(n);
  }
  if (!memfd) return;
  Message m = Encode(RingsMsg{memfd.get()});
  m.owned.push_back(std::move(memfd));
  Send(std::move(m));
  for (size_t i = 0; i < leaving_.size(); i += 8) {
    TailsMsg t;
    for (size_t k = i; k < std::min(leaving_.size(), i + 8); ++k) t.fds.push_back(leaving_[k].get());
    Send(Encode(t));
  }
}

// From PID 1, before kStart: what the previous forwarder left.
void Forwarder::TakeRings(UniqueFd memfd) {
  if (started_ || cfg_.ring == 0) return;  // log.ring = 0 now: the followers are told (TakeTails)
  struct stat st;
  if (fstat(memfd.get(), &st) != 0 || st.st_size < 0 || size_t(st.st_size) > kMaxRingsFile) return;
  std::string data(size_t(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = pread(memfd.get(), data.data() + off, data.size() - off, off_t(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += size_t(n);
  }
  Rings rings;
  std::vector<TailState> tails;
  if (!LoadRings(data, size_t(cfg_.ring), &rings, &tails)) {
    Warning("log forwarder: the ctl logs history of the previous forwarder does not parse; starting afresh");
    return;
  }
  for (auto& [name, ring] : rings) rings_[name] = std::move(ring);
  for (auto& [id, svc] : services_) svc->ring = RingFor(svc->name);
  resumed_ = std::move(tails);
  resumed_next_ = 0;
}

void Forwarder::TakeTails(std::vector<UniqueFd>& fds) {
  for (UniqueFd& fd : fds) {
    if (resumed_next_ >= resumed_.size() || cfg_.ring == 0 || tails_.size() >= kMaxTails) {
      std::string_view bye = "steward: ctl logs: the reload set log.ring to 0; nothing to follow\n";
      if (cfg_.ring != 0) bye = "steward: ctl logs: lost its place at a reload; run it again\n";
      (void)!send(fd.get(), bye.data(), bye.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    const TailState& st = resumed_[resumed_next_++];
    tails_.push_back(std::make_unique<LogTail>(loop_, std::move(fd), RingFor(st.service), st));
  }
}

}  // namespace steward::log::forwarder
