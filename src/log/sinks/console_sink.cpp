#include "steward/log/sinks/console_sink.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "steward/util/diag.hpp"
#include "steward/log/sinks/format.hpp"

namespace steward::log {

namespace {

// A pipe or a terminal can be opened again through /proc, giving a file
// description of our own whose O_NONBLOCK nobody else sees. A regular file
// cannot (the new description would write at offset 0), nor a socket.
UniqueFd OpenStdout(int fd, bool* nonblocking) {
  struct stat st;
  if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
    std::string path = fmt::format("/proc/self/fd/{}", fd);
    UniqueFd own(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (own) {
      *nonblocking = true;
      return own;
    }
  }
  *nonblocking = false;
  return UniqueFd(fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

}  // namespace

ConsoleSink::ConsoleSink(struct ev_loop* loop, int index, const LogConfig& cfg, int stdout_fd,
                         Ready ready)
    : Sink("console", index, std::move(ready)),
      loop_(loop),
      mode_(cfg.console),
      drop_oldest_(cfg.console_drop_oldest) {
  bool nonblocking = false;
  fd_ = OpenStdout(stdout_fd, &nonblocking);
  io_.Bind<&ConsoleSink::OnWritable>(loop_, this, fd_.get(), EV_WRITE);
}

ConsoleSink::~ConsoleSink() = default;

void ConsoleSink::Add(const Record& r, std::string_view display) {
  if (r.own) {
    own_.emplace_back(pending_.size(), r.line + '\n');
    return;
  }
  size_t before = pending_.size();
  switch (mode_) {
    case LogConfig::Console::kPrefixed: AppendPrefixed(display, width_, r.line, &pending_); break;
    case LogConfig::Console::kRaw: AppendRaw(r.line, &pending_); break;
    case LogConfig::Console::kJson: AppendJson(r, r.service, &pending_); break;
    case LogConfig::Console::kOff: break;
  }
  if (drop_oldest_) sizes_.push_back(pending_.size() - before);
}

bool ConsoleSink::WriteSome() {
  while (!broken_) {
    // stderr is steward's own, written blocking as PID 1 used to.
    while (!own_.empty() && own_.front().first == 0) {
      WriteAll(STDERR_FILENO, own_.front().second);
      own_.pop_front();
    }
    if (pending_.empty()) break;
    size_t limit = own_.empty() ? pending_.size() : own_.front().first;
    ssize_t n = write(fd_.get(), pending_.data(), limit);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // stdout is full: steward's own lines do not wait for it (they may
      // say why), in order among themselves, ahead of what stdout holds.
      for (auto& o : own_) WriteAll(STDERR_FILENO, o.second);
      own_.clear();
      return false;
    }
    if (n < 0) {
      // stdout is gone (EPIPE, EIO): nobody can read the console any more,
      // and blocking the services on it would only hang the container.
      Warning("console: cannot write to stdout: {}; console output is discarded", strerror(errno));
      broken_ = true;
      break;
    }
    pending_.erase(0, size_t(n));
    for (auto& o : own_) o.first -= size_t(n);
    if (drop_oldest_) {
      head_written_ += size_t(n);
      while (!sizes_.empty() && head_written_ >= sizes_.front()) {
        head_written_ -= sizes_.front();
        sizes_.pop_front();
      }
    }
  }
  if (broken_) {
    pending_.clear();
    sizes_.clear();
    for (auto& o : own_) WriteAll(STDERR_FILENO, o.second);
    own_.clear();
  }
  return true;
}

// Drops whole records from the front, never the one being written: the
// records right after it go, as many as needed, in one erase.
void ConsoleSink::DropOldest() {
  size_t first_rest = sizes_[0] - head_written_;  // unwritten bytes of the first record
  size_t excess = pending_.size() - kQueueLimit;
  size_t bytes = 0, count = 0;
  while (bytes < excess && count + 1 < sizes_.size()) bytes += sizes_[1 + count++];
  pending_.erase(first_rest, bytes);
  for (auto& o : own_) {
    if (o.first >= first_rest + bytes) o.first -= bytes;
    else if (o.first > first_rest) o.first = first_rest;
  }
  sizes_.erase(sizes_.begin() + 1, sizes_.begin() + 1 + long(count));
  dropped_ += count;
}

bool ConsoleSink::Flush() {
  if (WriteSome()) return true;
  io_.Start();
  if (drop_oldest_) {
    if (pending_.size() > kQueueLimit) DropOldest();
    return true;
  }
  outstanding_ = true;
  return false;
}

void ConsoleSink::OnWritable() {
  if (!WriteSome()) return;
  io_.Stop();
  if (outstanding_) Done();
}

}  // namespace steward::log
