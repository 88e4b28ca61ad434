// The bounded queue and the repeat limiter of PID 1's stderr (stderr_queue.hpp).
#include "steward/util/stderr_queue.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace steward {

StderrQueue::StderrQueue(WriteFn write, size_t bound) : write_(std::move(write)), bound_(bound) {}

std::string StderrQueue::DropLine(uint64_t n) {
  return fmt::format("steward: warning: {} message{} dropped: stderr was not being read\n", n,
                     n == 1 ? "" : "s");
}

bool StderrQueue::Push(std::string_view line) {
  if (gone_) {
    ++dropped_;
    return false;
  }
  // Drops happen only while bytes wait, and their count is written as the
  // wait ends: nothing waiting means nothing left to announce.
  if (!waiting()) {
    ssize_t n = write_(line);
    if (n < 0) {
      gone_ = true;
      ++dropped_;
      return false;
    }
    line.remove_prefix(size_t(n));
    if (line.empty()) return false;
    buf_.assign(line);  // the rest of a line stderr took in part: finished first
    head_ = 0;
    return true;
  }
  if (Waiting() + line.size() > bound_) {
    ++dropped_;
    ++unannounced_;
    return true;
  }
  buf_.append(line);  // written by Flush() when stderr is writable
  return true;
}

bool StderrQueue::Write() {
  while (waiting()) {
    ssize_t n = write_(std::string_view(buf_).substr(head_));
    if (n < 0) {
      dropped_ += uint64_t(std::count(buf_.begin() + long(head_), buf_.end(), '\n'));
      buf_.clear();
      head_ = 0;
      gone_ = true;
      return false;
    }
    if (n == 0) break;
    head_ += size_t(n);
  }
  if (!waiting()) {
    buf_.clear();
    head_ = 0;
  } else if (head_ > bound_) {
    buf_.erase(0, head_);  // keeps the buffer near the bound
    head_ = 0;
  }
  return true;
}

bool StderrQueue::Flush() {
  if (!Write()) return false;
  if (!waiting() && unannounced_ > 0) {
    // Past the bound on purpose: the count is the one line never dropped.
    buf_ = DropLine(unannounced_);
    head_ = 0;
    unannounced_ = 0;
    if (!Write()) return false;
  }
  return waiting();
}

// ---- repeated messages --------------------------------------------------------

std::string RepeatLimiter::CauseOf(std::string_view text) {
  std::string key;
  key.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    bool digit = text[i] >= '0' && text[i] <= '9';
    if (!digit) {
      key.push_back(text[i]);
    } else if (key.empty() || key.back() != '#') {
      key.push_back('#');
    }
  }
  return key;
}

bool RepeatLimiter::Allow(std::string_view text, double now) {
  std::string key = CauseOf(text);
  // Causes whose window ended with nothing held back are forgotten here;
  // those with something held back wait for Expired() to say so.
  causes_.erase(std::remove_if(causes_.begin(), causes_.end(),
                               [&](const Cause& c) {
                                 return c.held == 0 && now >= c.start + limits_.window &&
                                        c.key != key;
                               }),
                causes_.end());
  auto it = std::find_if(causes_.begin(), causes_.end(),
                         [&](const Cause& c) { return c.key == key; });
  if (it == causes_.end()) {
    if (causes_.size() >= limits_.max_causes) return true;
    causes_.push_back(Cause{std::move(key), "", now, 1, 0});
    return true;
  }
  if (it->held == 0 && now >= it->start + limits_.window) {
    it->start = now;
    it->seen = 0;
  }
  if (++it->seen <= limits_.burst) return true;
  if (it->held++ == 0) it->example.assign(text);
  return false;
}

std::string RepeatLimiter::Summary(const Cause& c) const {
  return fmt::format("held back {} more message{} like \"{}\" (more than {} in {}s)", c.held,
                     c.held == 1 ? "" : "s", c.example, limits_.burst, limits_.window);
}

std::vector<std::string> RepeatLimiter::Expired(double now) {
  std::vector<std::string> out;
  for (Cause& c : causes_) {
    if (c.held == 0 || now < c.start + limits_.window) continue;
    out.push_back(Summary(c));
    // A new window from here, so a cause that keeps coming is summarised
    // once per window rather than let through in bursts.
    c.start = now;
    c.seen = 0;
    c.held = 0;
  }
  return out;
}

double RepeatLimiter::NextDue() const {
  double due = 0;
  for (const Cause& c : causes_) {
    if (c.held == 0) continue;
    double end = c.start + limits_.window;
    if (due == 0 || end < due) due = end;
  }
  return due;
}

}  // namespace steward
