#include "steward/log/sinks/rotating_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/safe_path.hpp"

namespace steward::log {

namespace {

uint64_t CountLines(std::string_view s) { return uint64_t(std::count(s.begin(), s.end(), '\n')); }

// "PATH: reason" from the walk's text ("PATH: open: Permission denied",
// "PATH: is a FIFO, not a regular file", or about a parent: "DIR: mkdir:
// Read-only file system"), naming the file in every case.
std::string Reason(const std::string& path, const std::string& text) {
  std::string own = path + ": ";
  if (text.compare(0, own.size(), own) != 0) return own + text;
  std::string call = own + "open: ";
  if (text.compare(0, call.size(), call) == 0) return own + text.substr(call.size());
  return text;
}

}  // namespace

RotatingFile::RotatingFile(std::string label, std::string path, uint64_t rotate_size, int keep,
                           Reporter reporter)
    : label_(std::move(label)),
      path_(std::move(path)),
      rotate_size_(rotate_size),
      keep_(keep < 0 ? 0 : keep),
      reporter_(std::move(reporter)) {}

const char* RotatingFile::fix() const {
  switch (err_) {
    case ENOSPC:
    case EDQUOT:
      return "free space on that filesystem or lower rotate_size/keep";
    case EACCES:
    case EPERM:
    case EROFS:
      return "make the directory writable by steward or change the sink's path";
    case ENOENT:
    case ENOTDIR:
      return "create the directory or change the sink's path";
    case EFBIG:
      return "raise the file size limit (ulimit -f) or lower rotate_size";
    case ENAMETOOLONG:
      return "shorten the sink's path";
    case EISDIR:
      return "remove that directory or change the sink's path";
    case ELOOP:
      return "replace the link with a regular file, or keep the sink's files in a directory only "
             "root can write";
    case ENXIO:
      return "remove it: steward writes only regular files; or change the sink's path";
    case EMLINK:
      return "remove the other links to that file, or keep the sink's files in a directory only "
             "root can write";
    default:
      return "check the path and the filesystem";
  }
}

void RotatingFile::RejectPending() {
  // Whole lines: pending_ holds them with their newlines (a half-written
  // first one included, whose start is already in the file).
  rejected_ += CountLines(pending_);
  pending_.clear();
  mid_line_ = false;
}

bool RotatingFile::Fail(const std::string& what, int err, const std::string& reason) {
  err_ = err;
  problem_ = fmt::format("cannot {} {}", what, reason);
  if (ClassifyErrno(err) == SinkFault::kPermanent) {
    state_ = State::kRefused;
    why_.cause = fmt::format("{}:{}:{}", what, err, path_);
    why_.text = fmt::format("{}: {} ({}); its records are dropped for this sink", label_, problem_,
                            fix());
    RejectPending();
    fd_.Reset();
    return true;
  }
  if (state_ != State::kFailing) {  // once per failure, not once per line
    state_ = State::kFailing;
    reporter_(true, fmt::format("{}: {} ({}); lines are kept and retried", label_, problem_, fix()));
  }
  return false;
}

void RotatingFile::Recovered() {
  if (state_ == State::kOk) return;
  state_ = State::kOk;
  err_ = 0;
  problem_.clear();
  reporter_(false, fmt::format("{}: writing {} again", label_, path_));
}

bool RotatingFile::TakeRejected(uint64_t* lines, SinkRejection* why) {
  if (rejected_ == 0) return false;
  *lines = rejected_;
  *why = why_;  // a copy: later lines of the same trouble share the cause
  rejected_ = 0;
  return true;
}

// Opens PATH walking from "/" (a first open, and a retry after trouble), or
// beside the rotated files in the directory the last walk opened.
bool RotatingFile::Open() {
  if (fd_) return true;
  OpenRequest req;
  req.flags = O_WRONLY | O_APPEND | O_CREAT;
  req.mode = 0640;
  SafeFile f;
  PathError e;
  bool ok;
  if (reopen_beside_ && dir_) {
    ok = OpenBeside(dir_.get(), dir_trusted_, name_, req, &f, &e);
  } else {
    req.make_parents = true;
    req.parent_mode = 0755;
    ok = OpenSafely(path_, req, &f, &e);
  }
  reopen_beside_ = false;  // a failure walks from "/" again
  if (!ok) {
    Fail("open", e.err, Reason(path_, e.text));
    return false;
  }
  fd_ = std::move(f.fd);
  if (f.dir) {
    dir_ = std::move(f.dir);
    name_ = f.name;
    dir_trusted_ = f.dir_trusted;
  }
  size_ = uint64_t(f.st.st_size);
  return true;
}

// PATH.keep is dropped, PATH.i becomes PATH.i+1, PATH becomes PATH.1, all
// within the directory the walk opened (renameat never follows a link: a
// link someone put there is renamed as a link). A failed rename only means
// a file is overwritten or kept longer: the lines themselves are already
// safely in one file or another.
void RotatingFile::Rotate() {
  fd_.Reset();
  size_ = 0;
  if (!dir_) return;  // the next Open() walks again and appends
  int d = dir_.get();
  if (keep_ == 0) {
    unlinkat(d, name_.c_str(), 0);
  } else {
    for (int i = keep_ - 1; i >= 1; --i) {
      renameat(d, fmt::format("{}.{}", name_, i).c_str(), d, fmt::format("{}.{}", name_, i + 1).c_str());
    }
    renameat(d, name_.c_str(), d, (name_ + ".1").c_str());
  }
  reopen_beside_ = true;
}

bool RotatingFile::WritePending() {
  while (!pending_.empty()) {
    if (!Open()) return pending_.empty();  // empty: given up for a permanent error
    // How much goes into this file: up to rotate_size, cut after a newline.
    size_t n = pending_.size();
    if (mid_line_) {
      // Finish the half-written line in this file before anything else.
      size_t nl = pending_.find('\n');
      n = nl == std::string::npos ? n : nl + 1;
    } else if (rotate_size_ > 0 && size_ + n > rotate_size_) {
      size_t room = size_ >= rotate_size_ ? 0 : size_t(rotate_size_ - size_);
      size_t cut = room == 0 ? std::string::npos : pending_.rfind('\n', room - 1);
      if (cut == std::string::npos) {
        if (size_ > 0) {
          Rotate();
          continue;
        }
        cut = pending_.find('\n');  // one line longer than rotate_size: alone in its file
      }
      n = cut == std::string::npos ? pending_.size() : cut + 1;
    }
    ssize_t w = write(fd_.get(), pending_.data(), n);
    if (w < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      return Fail("write", err, fmt::format("{}: {}", path_, strerror(err)));
    }
    if (w == 0) return false;  // no progress: try again later
    size_ += uint64_t(w);
    mid_line_ = pending_[size_t(w) - 1] != '\n';
    pending_.erase(0, size_t(w));
  }
  Recovered();
  return true;
}

bool RotatingFile::Append(std::string_view lines) {
  if (state_ == State::kRefused) {  // until Retry() finds the path fixed
    rejected_ += CountLines(lines);
    return pending_.empty();
  }
  if (state_ == State::kFailing) {  // waits for Retry(): the sink's back-off
    pending_.append(lines);
    return false;
  }
  // Fast path, the common case: the file is open (so size_ is its real
  // size), nothing waits, and the whole batch fits before the next rotation:
  // write it straight from the caller's buffer.
  if (fd_ && pending_.empty() && !mid_line_ && !lines.empty() && lines.back() == '\n' &&
      (rotate_size_ == 0 || size_ + lines.size() <= rotate_size_)) {
    ssize_t w = write(fd_.get(), lines.data(), lines.size());
    if (w > 0) {
      size_ += uint64_t(w);
      mid_line_ = lines[size_t(w) - 1] != '\n';
      lines.remove_prefix(size_t(w));
    }
    if (lines.empty()) return true;
  }
  pending_.append(lines);
  return WritePending();
}

bool RotatingFile::Retry() {
  if (state_ != State::kOk && !Open()) return false;
  return WritePending() && state_ == State::kOk;
}

uint64_t RotatingFile::pending_lines() const { return CountLines(pending_); }

uint64_t RotatingFile::DropOldest(size_t keep_bytes) {
  if (pending_.size() <= keep_bytes) return 0;
  size_t start = 0;
  if (mid_line_) {  // its start is in the file already: finish it, drop after it
    size_t nl = pending_.find('\n');
    if (nl == std::string::npos) return 0;
    start = nl + 1;
  }
  size_t end = start + (pending_.size() - keep_bytes);
  if (end >= pending_.size()) {
    end = pending_.size();
  } else {
    size_t nl = pending_.find('\n', end - 1);
    end = nl == std::string::npos ? pending_.size() : nl + 1;
  }
  if (end <= start) return 0;
  uint64_t lines = CountLines(std::string_view(pending_).substr(start, end - start));
  pending_.erase(start, end - start);
  return lines;
}

}  // namespace steward::log
