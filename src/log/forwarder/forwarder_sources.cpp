// The forwarder's sources: service pipes through their journals, /dev/log, and the commit point.
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "forwarder_internal.hpp"
#include "steward/util/diag.hpp"
#include "steward/log/forwarder/syslog_parse.hpp"

namespace steward::log::forwarder {

// ---------------------------------------------------------------- pipes

void Forwarder::InitPipe(Source* s, Service* svc, Stream stream, UniqueFd pipe, UniqueFd journal) {
  s->svc = svc;
  s->stream = stream;
  s->fd = std::move(pipe);
  std::string err;
  if (!s->journal.Open(std::move(journal), &err)) {
    Error("{}: log journal: {}", svc->name, err);
  }
  s->fed = s->target = s->journal.cursor();
  s->io.Bind<&Source::OnReadable>(loop_, s, s->fd.get(), EV_READ);
  s->partial.Bind<&Source::OnPartial>(loop_, s);
  s->partial.SetRepeat(Seconds(cfg_.partial_flush));
  if (started_) {
    FeedNew(s);
    s->io.Start();
  }
}

// One splice. True when bytes came (the caller may want more).
bool Forwarder::ReadPipe(Source* s) {
  ssize_t n = s->journal.SpliceFrom(s->fd.get(), kSpliceChunk);
  if (n > 0) {
    FeedNew(s);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n < 0) Warning("{}: reading its {}: {}", s->svc->name, StreamName(s->stream), strerror(errno));
  // End of file: every writer is gone (service removed, or shutdown).
  s->eof = true;
  s->io.Stop();
  now_ = NowMicros();
  s->splitter.Flush(true, [&](std::string_view l, bool p) { EmitLine(s, l, p); });
  AfterFeed(s);
  return false;
}

void Source::OnReadable() {
  if (kind == Kind::kSyslog) {
    fw->ReadDatagrams();
  } else {
    fw->OnPipe(this);
  }
}

void Source::OnPartial() { fw->OnPartial(this); }

void Forwarder::OnPipe(Source* s) {
  if (Blocked(s)) {
    s->io.Stop();
    return;
  }
  if (s->svc->own) {
    CatchUp();
    if (Blocked(s)) {  // the control socket may have brought a handover
      s->io.Stop();
      return;
    }
  }
  ReadPipe(s);
}

void Forwarder::FeedNew(Source* s) {
  if (s->journal.end() <= s->fed) return;
  // Lines are cut in place from the mapped journal: no copy into buf_.
  std::string_view bytes;
  if (!s->journal.View(s->fed, &buf_, &bytes)) {
    Error("{}: log journal: {}", s->svc->name, strerror(errno));
    return;
  }
  now_ = NowMicros();
  s->splitter.Feed(bytes, [&](std::string_view l, bool p) { EmitLine(s, l, p); });
  s->fed = s->journal.end();
  AfterFeed(s);
}

void Forwarder::AfterFeed(Source* s) {
  s->target = s->journal.end() - s->splitter.held();
  if (!s->dirty) {
    s->dirty = true;
    dirty_sources_.push_back(s);
  }
  // Silence is measured from the last bytes that arrived.
  if (s->splitter.held() > 0 && !s->eof) {
    s->partial.Again();
  } else {
    s->partial.Stop();
  }
}

void Forwarder::OnPartial(Source* s) {
  s->partial.Stop();
  if (Blocked(s)) {
    s->partial.Again();
    return;
  }
  // Silence means an empty pipe, not a busy forwarder: bytes waiting in
  // the pipe may finish the line.
  if (!s->eof && ReadPipe(s)) return;  // fed: the timer was armed again
  if (s->splitter.held() == 0) return;
  now_ = NowMicros();
  s->splitter.Flush(false, [&](std::string_view l, bool p) { EmitLine(s, l, p); });
  AfterFeed(s);
}

void Forwarder::EmitLine(Source* s, std::string_view line, bool partial) {
  Service* svc = s->svc;
  if (svc->own) return EmitOwn(s, line);
  rec_.time_us = now_;
  rec_.service = svc->name;
  rec_.stream = s->stream;
  rec_.severity = s->stream == Stream::kStderr ? kSeverityErr : kSeverityInfo;
  rec_.facility = -1;
  rec_.tag.clear();
  rec_.pid = svc->pid;
  rec_.partial = partial;
  rec_.line.assign(line);
  Dispatch(s, rec_, svc->display, svc->mask);
  Remember(svc->ring, rec_);
}

// ---------------------------------------------------------------- /dev/log

// Each datagram is peeked, delivered and committed, and only then removed
// from the socket: a kill in between delivers it twice, never zero times.
void Forwarder::ReadDatagrams() {
  Source* s = syslog_.get();
  for (int i = 0; i < kDatagramBurst; ++i) {
    if (Blocked(s) || s->datagram_peeked) {
      s->io.Stop();
      return;
    }
    buf_.resize(kMaxDatagram);
    ssize_t n = recv(s->fd.get(), buf_.data(), buf_.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return;  // EAGAIN: nothing more
    s->datagram_peeked = true;
    now_ = NowMicros();
    Deliver(std::string_view(buf_.data(), size_t(n)));
    CommitRound();
  }
}

void Forwarder::Deliver(std::string_view datagram) {
  SyslogMessage m = ParseSyslog(datagram);
  // The tag is the sender's choice: made safe before it names anything.
  std::string name = SafeTag(m.tag);
  std::string display = name;
  uint64_t mask = 0;
  bool known = false;
  LogRing* ring = nullptr;  // a service's own syslog(3) lines go to its ring too
  for (auto& [id, svc] : services_) {
    if (svc->name == name) {
      mask = svc->mask, display = svc->display, known = true, ring = svc->ring;
      break;
    }
  }
  if (!known) {
    auto it = tag_routes_.find(name);
    if (it == tag_routes_.end()) {
      if (tag_routes_.size() > 1024) tag_routes_.clear();  // tags are untrusted: bound the cache
      it = tag_routes_.emplace(name, RouteMask(name, true, false, {})).first;
    }
    mask = it->second;
    if (!m.tag.empty()) ring = TagRing(name);
  }
  Source* s = syslog_.get();
  rec_.time_us = now_;
  rec_.service = name;
  rec_.stream = Stream::kSyslog;
  rec_.severity = m.severity;
  rec_.facility = m.facility;
  rec_.tag.assign(m.tag.empty() ? std::string_view() : std::string_view(name));
  rec_.pid = m.pid;
  // A record is one line: a multi-line message becomes several records,
  // and a long one is cut like a pipe's.
  LineSplitter lines(cfg_.max_line);
  auto emit = [&](std::string_view l, bool p) {
    rec_.partial = p;
    rec_.line.assign(l);
    Dispatch(s, rec_, display, mask);
    Remember(ring, rec_);
  };
  lines.Feed(m.msg, emit);
  lines.Flush(true, emit);
  if (m.msg.empty()) emit("", false);
  if (!s->dirty) {
    s->dirty = true;
    dirty_sources_.push_back(s);
  }
}

// ---------------------------------------------------------------- commit

void Forwarder::Dispatch(Source* s, const Record& r, std::string_view display, uint64_t mask) {
  for (uint64_t m = mask; m; m &= m - 1) {
    int i = __builtin_ctzll(m);
    if (sinks_[size_t(i)]) sinks_[size_t(i)]->Add(r, display);
  }
  dirty_sinks_ |= mask;
  if (s) s->added |= mask;
}

void Forwarder::OnPrepare() {
  EmitQueuedOwn();
  if (dirty_sinks_ || !dirty_sources_.empty()) CommitRound();
  if (!tails_.empty()) ServeTails();
}

uint64_t Forwarder::OutstandingMask() const {
  uint64_t m = 0;
  for (const auto& s : sinks_) {
    if (s && s->outstanding()) m |= uint64_t(1) << s->index();
  }
  return m;
}

bool Forwarder::Blocked(const Source* s) const {
  // A reload's handover reads nothing more (but an old /dev/log to empty).
  if (handing_over_ && !(drain_syslog_ && s->kind == Source::Kind::kSyslog)) return true;
  return s->waiting != 0 || s->commit_pending || (s->routes & OutstandingMask()) != 0;
}

void Forwarder::CommitRound() {
  uint64_t dirty = dirty_sinks_;
  dirty_sinks_ = 0;
  for (uint64_t m = dirty; m; m &= m - 1) {
    Sink* sink = sinks_[size_t(__builtin_ctzll(m))].get();
    if (sink) sink->Flush();
  }
  uint64_t outstanding = OutstandingMask();
  std::vector<Source*> sources;
  sources.swap(dirty_sources_);
  for (Source* s : sources) {
    s->dirty = false;
    s->waiting |= s->added & outstanding;
    s->added = 0;
    if (s->waiting == 0) {
      Commit(s);
    } else {
      s->commit_pending = true;
    }
  }
  CheckDrops();
  FinishDetaches();
  if (draining_) CheckDrained();
}

void Forwarder::Commit(Source* s) {
  s->commit_pending = false;
  if (s->kind == Source::Kind::kPipe) {
    s->journal.Commit(s->target);
    return;
  }
  if (s->datagram_peeked) {
    char b;
    recv(s->fd.get(), &b, 1, MSG_DONTWAIT);  // removes the whole datagram
    s->datagram_peeked = false;
  }
}

void Forwarder::ForEachSource(const std::function<void(Source*)>& f) {
  for (auto& [id, svc] : services_) {
    if (svc->out) f(svc->out.get());
    if (svc->err) f(svc->err.get());
  }
  if (syslog_) f(syslog_.get());
}

void Forwarder::OnSinkReady(Sink* sink) {
  uint64_t bit = uint64_t(1) << sink->index();
  ForEachSource([&](Source* s) {
    if (!(s->waiting & bit)) return;
    s->waiting &= ~bit;
    if (s->waiting == 0 && s->commit_pending) Commit(s);
  });
  Kick();
  FinishDetaches();
  if (draining_) CheckDrained();
}

// Resumes reading every source that is no longer blocked.
void Forwarder::Kick() {
  if (!started_) return;
  ForEachSource([&](Source* s) {
    if (s->eof || Blocked(s)) return;
    if (s->kind == Source::Kind::kSyslog && s->datagram_peeked) return;
    s->io.Start();
  });
}

void Forwarder::FinishDetaches() {
  for (auto it = services_.begin(); it != services_.end();) {
    Service* svc = it->second.get();
    bool done = svc->detaching;
    for (Source* s : {svc->out.get(), svc->err.get()}) {
      done = done && (!s || (s->eof && !s->dirty && !s->commit_pending && s->waiting == 0));
    }
    if (!done) {
      ++it;
      continue;
    }
    Send(Encode(DetachedMsg{svc->id}));
    it = services_.erase(it);  // its sources' watchers stop themselves
    UpdateWidth();
  }
}

}  // namespace steward::log::forwarder
