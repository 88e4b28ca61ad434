#include "steward/log/sinks/rotating_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace steward::log {

namespace {

// mkdir -p of the directory part of path.
void MakeParents(const std::string& path) {
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] != '/') continue;
    std::string dir = path.substr(0, i);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return;
  }
}

std::string Fix(int err) {
  switch (err) {
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
    default:
      return "check the path and the filesystem";
  }
}

}  // namespace

RotatingFile::RotatingFile(std::string label, std::string path, uint64_t rotate_size, int keep,
                           Reporter reporter)
    : label_(std::move(label)),
      path_(std::move(path)),
      rotate_size_(rotate_size),
      keep_(keep < 0 ? 0 : keep),
      reporter_(std::move(reporter)) {}

bool RotatingFile::Fail(const std::string& what, int err) {
  if (ClassifyErrno(err) == SinkFault::kPermanent) {
    // Whole lines: pending_ holds them with their newlines (a half-written
    // first one included, whose start is already in the file).
    uint64_t lines = 0;
    for (char c : pending_) lines += c == '\n';
    rejected_ += lines;
    why_.cause = what + ":" + std::to_string(err);
    why_.text = fmt::format("{}: cannot {} {}: {} ({}); its records are dropped for this sink",
                            label_, what, path_, strerror(err), Fix(err));
    pending_.clear();
    mid_line_ = false;
    fd_.Reset();
    return true;
  }
  if (!failing_) {  // once per failure, not once per line
    failing_ = true;
    reporter_(true, fmt::format("{}: cannot {} {}: {} ({}); lines are kept and retried", label_,
                                what, path_, strerror(err), Fix(err)));
  }
  return false;
}

bool RotatingFile::TakeRejected(uint64_t* lines, SinkRejection* why) {
  if (rejected_ == 0) return false;
  *lines = rejected_;
  *why = std::move(why_);
  rejected_ = 0;
  return true;
}

bool RotatingFile::Open() {
  if (fd_) return true;
  MakeParents(path_);
  int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    Fail("open", errno);
    return false;
  }
  fd_.Reset(fd);
  struct stat st;
  size_ = fstat(fd, &st) == 0 ? uint64_t(st.st_size) : 0;
  return true;
}

// PATH.keep is dropped, PATH.i becomes PATH.i+1, PATH becomes PATH.1. A
// failed rename only means a file is overwritten or kept longer: the lines
// themselves are already safely in one file or another.
void RotatingFile::Rotate() {
  fd_.Reset();
  if (keep_ == 0) {
    unlink(path_.c_str());
  } else {
    for (int i = keep_ - 1; i >= 1; --i) {
      rename(fmt::format("{}.{}", path_, i).c_str(), fmt::format("{}.{}", path_, i + 1).c_str());
    }
    rename(path_.c_str(), (path_ + ".1").c_str());
  }
  size_ = 0;
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
      return Fail("write", errno);
    }
    if (w == 0) return false;  // no progress: try again later
    size_ += uint64_t(w);
    mid_line_ = pending_[size_t(w) - 1] != '\n';
    pending_.erase(0, size_t(w));
  }
  if (failing_) {
    failing_ = false;
    reporter_(false, fmt::format("{}: writing {} again", label_, path_));
  }
  return true;
}

bool RotatingFile::Append(std::string_view lines) {
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

bool RotatingFile::Retry() { return WritePending(); }

}  // namespace steward::log
