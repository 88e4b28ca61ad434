// One `ctl logs` client fed from a service's ring, non-blocking and bounded (tail.hpp).
#include "steward/log/forwarder/tail.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>

namespace steward::log {

LogTail::LogTail(struct ev_loop* loop, UniqueFd client, const LogRing* ring, size_t last_n,
                 bool follow)
    : fd_(std::move(client)), ring_(ring), follow_(follow) {
  int flags = fcntl(fd_.get(), F_GETFL);
  if (flags >= 0) fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
  next_ = ring_->LastN(last_n);
  end_ = ring_->next_seq();
  out_ = "0\n";  // the control response's exit code; the lines are its text
  io_.Bind<&LogTail::OnIo>(loop, this, fd_.get(), EV_WRITE);
  Fill();
  Flush();
}

LogTail::LogTail(struct ev_loop* loop, UniqueFd client, const LogRing* ring, const TailState& st)
    : fd_(std::move(client)), ring_(ring), follow_(st.follow) {
  int flags = fcntl(fd_.get(), F_GETFL);
  if (flags >= 0) fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
  // A ring that shrank (a smaller log.ring) is caught by Fill(): the client
  // hears how many lines it missed.
  next_ = std::min(st.next, ring_->next_seq());
  end_ = std::min(st.end, ring_->next_seq());
  out_ = st.out;
  closing_ = st.closing;
  io_.Bind<&LogTail::OnIo>(loop, this, fd_.get(), EV_WRITE);
  if (out_.empty()) Fill();
  Flush();
}

UniqueFd LogTail::Release(TailState* st) {
  st->follow = follow_;
  st->closing = closing_;
  st->next = next_;
  st->end = end_;
  st->out = std::move(out_);
  io_.Stop();
  done_ = true;
  out_.clear();
  return std::move(fd_);
}

void LogTail::Notify() {
  if (done_ || closing_ || !out_.empty()) return;  // a pending write resumes by itself
  Fill();
  Flush();
}

void LogTail::Close(std::string_view why) {
  if (done_) return;
  if (!closing_ && !why.empty()) out_.append(why).push_back('\n');
  closing_ = true;
  Flush();
}

// Moves records from the ring into out_, up to kMaxPending.
void LogTail::Fill() {
  uint64_t stop = follow_ ? ring_->next_seq() : end_;
  while (!closing_ && next_ < stop && out_.size() < kMaxPending) {
    if (next_ < ring_->first_seq()) {
      // The client read too slowly for the ring: what it missed is gone
      // from memory (the sinks still have it). Say so once and let go.
      out_ += fmt::format(
          "steward: ctl logs: {} lines were dropped from the ring (log.ring) before this client "
          "read them; disconnecting\n",
          ring_->first_seq() - next_);
      closing_ = true;
      break;
    }
    AppendRingLine(*ring_->At(next_), &out_);
    ++next_;
  }
  if (!follow_ && next_ >= end_) closing_ = true;
}

void LogTail::Flush() {
  while (!out_.empty()) {
    ssize_t n = send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Arm(EV_WRITE | EV_READ);
      return;
    }
    if (n <= 0) {  // EPIPE, ECONNRESET: the client went away
      Finish();
      return;
    }
    out_.erase(0, size_t(n));
    if (out_.empty() && !closing_) Fill();
  }
  if (closing_) {
    Finish();
    return;
  }
  Arm(EV_READ);  // following: all sent; wake only when the client hangs up
}

void LogTail::Arm(int events) {
  if (io_.active() && io_.events() == events) return;
  io_.Set(fd_.get(), events);
}

void LogTail::OnIo(int revents) {
  if (revents & EV_READ) {
    char buf[512];  // a client has nothing to say after its request: discard, bounded
    ssize_t n = recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Finish();
      return;
    }
  }
  if (revents & EV_WRITE) Flush();
}

void LogTail::Finish() {
  if (done_) return;
  done_ = true;
  io_.Stop();
  fd_.Reset();
  out_.clear();
  out_.shrink_to_fit();
}

}  // namespace steward::log
