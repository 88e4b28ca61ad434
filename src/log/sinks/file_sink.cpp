// The file sink: records to one RotatingFile per expanded path, with a
// bounded backlog for the files in trouble (file_sink.hpp).
#include "steward/log/sinks/file_sink.hpp"

#include <sys/resource.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/diag.hpp"
#include "steward/log/sinks/format.hpp"

namespace steward::log {

namespace {

std::string SizeText(uint64_t n) {
  if (n % (1 << 20) == 0) return fmt::format("{}MiB", n >> 20);
  if (n % (1 << 10) == 0) return fmt::format("{}KiB", n >> 10);
  return fmt::format("{} bytes", n);
}

}  // namespace

FileSink::FileSink(struct ev_loop* loop, int index, const SinkConfig& cfg, Ready ready)
    : Sink(cfg.name, index, std::move(ready)),
      loop_(loop),
      cfg_(cfg),
      per_service_(cfg.path.find("{service}") != std::string::npos),
      backoff_(Duration(100), Duration(5000)) {
  struct rlimit rl;
  max_open_ = kMaxOpenFiles;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    max_open_ = std::clamp<size_t>(size_t(rl.rlim_cur / 4), 4, kMaxOpenFiles);
  }
  retry_.Bind<&FileSink::OnRetry>(loop_, this);
}

// The backlog is memory: what is still in it now is lost, and said so.
FileSink::~FileSink() {
  retry_.Stop();
  for (auto& [path, f] : files_) {
    uint64_t lines = f.file->pending_lines();
    if (lines == 0) continue;
    Warning("{}: {} records were never written to {} ({}); they are lost", name(), lines, path,
            f.file->problem().empty() ? "it could not be written" : f.file->problem());
  }
}

std::string FileSink::Expand(const std::string& pattern, std::string_view service) {
  std::string name(service);
  for (char& c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  std::string out;
  size_t from = 0;
  for (size_t at; (at = pattern.find("{service}", from)) != std::string::npos; from = at + 9) {
    out.append(pattern, from, at - from);
    out.append(name);
  }
  out.append(pattern, from, std::string::npos);
  return out;
}

FileSink::File& FileSink::FileFor(std::string_view service) {
  if (last_file_ && service == last_service_) return *last_file_;
  File& f = FileForSlow(service);
  last_service_.assign(service);
  last_file_ = &f;
  return f;
}

FileSink::File& FileSink::FileForSlow(std::string_view service) {
  std::string path = per_service_ ? Expand(cfg_.path, service) : cfg_.path;
  auto it = files_.find(path);
  if (it != files_.end()) return it->second;
  if (files_.size() >= max_open_) ForgetIdleFiles();
  auto reporter = [](bool error, const std::string& text) {
    if (error) {
      Error("{}", text);
    } else {
      Info("{}", text);
    }
  };
  File& f = files_[path];
  f.file = std::make_unique<RotatingFile>(cfg_.name, path, cfg_.rotate_size, cfg_.keep, reporter);
  return f;
}

// Syslog tags are chosen by any process: without a cap, a program logging
// under random tags would open files without end. Healthy files with
// nothing pending are closed; they are reopened (appending) when needed
// again. A file in trouble stays: its backlog, its back-off, its problem.
void FileSink::ForgetIdleFiles() {
  last_file_ = nullptr;
  for (auto it = files_.begin(); it != files_.end();) {
    const File& f = it->second;
    if (!f.file->pending() && !f.file->troubled() && f.batch.empty()) {
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string_view FileSink::TagName(std::string_view tag) {
  for (const std::string& t : tag_names_) {
    if (t == tag) return tag;
  }
  if (tag_names_.size() >= kMaxTagFiles) return "syslog";
  tag_names_.emplace_back(tag);
  return tag;
}

void FileSink::Add(const Record& r, std::string_view) {
  std::string_view service = r.service;
  if (per_service_ && r.stream == Stream::kSyslog) service = TagName(service);
  AppendFileLine(r, &FileFor(service).batch);
}

void FileSink::CollectRejected(File& f) {
  uint64_t lines;
  SinkRejection why;
  if (f.file->TakeRejected(&lines, &why)) Reject(lines, why);
}

size_t FileSink::backlog() const {
  size_t n = 0;
  for (const auto& [path, f] : files_) n += f.file->pending_bytes();
  return n;
}

// Over the bound: "block" holds the sources until the backlog is written;
// "drop-oldest" gives up the oldest lines of the largest backlog first (the
// file in trouble longest, or written to most), so that one file's trouble
// costs the records of the others as little as it can.
void FileSink::Bound() {
  size_t total = backlog();
  if (total <= cfg_.buffer) return;
  if (cfg_.overflow_block) {
    outstanding_ = true;
    return;
  }
  while (total > cfg_.buffer) {
    auto big = std::max_element(files_.begin(), files_.end(), [](const auto& a, const auto& b) {
      return a.second.file->pending_bytes() < b.second.file->pending_bytes();
    });
    RotatingFile& f = *big->second.file;
    size_t before = f.pending_bytes();
    size_t excess = total - size_t(cfg_.buffer);
    dropped_ += f.DropOldest(before > excess ? before - excess : 0);
    size_t gone = before - f.pending_bytes();
    if (gone == 0) break;  // only the rest of a half-written line: kept
    total -= gone;
    Announce({"overflow:" + f.path(),
              fmt::format("{}: {}: the backlog reached buffer = {}, the oldest records are "
                          "dropped while it cannot be written ({}; {})",
                          name(), f.path(), SizeText(cfg_.buffer),
                          f.problem().empty() ? "no progress" : f.problem(), f.fix())});
  }
}

void FileSink::UpdateProblem() {
  std::string p;
  size_t more = 0;
  for (const auto& [path, f] : files_) {
    if (f.file->problem().empty()) continue;
    if (p.empty()) {
      p = f.file->problem();
    } else {
      ++more;
    }
  }
  if (more > 0) p += fmt::format(" (and {} more {})", more, more == 1 ? "file" : "files");
  if (p == problem_ && problem_told_) return;
  problem_told_ = true;
  problem_ = std::move(p);
  if (on_problem) on_problem();
}

// While a file is in trouble (or the sink outstanding) the retry timer runs
// with back-off; otherwise it rests and the back-off starts again.
void FileSink::AfterWrite() {
  bool trouble = outstanding_;
  for (const auto& [path, f] : files_) trouble = trouble || f.file->troubled() || f.file->pending();
  UpdateProblem();
  if (!trouble) {
    retry_.Stop();
    return;
  }
  if (retry_.active()) return;
  backoff_.Reset();
  retry_.Start(backoff_.Next());
}

bool FileSink::Flush() {
  bool trouble = false;
  for (auto& [path, f] : files_) {
    if (!f.batch.empty()) {
      f.file->Append(f.batch);
      f.batch.clear();
      CollectRejected(f);
    }
    trouble = trouble || f.file->troubled() || f.file->pending();
  }
  // The common case: every file written, nothing was wrong, PID 1 knows.
  if (!trouble && !outstanding_ && problem_told_ && problem_.empty()) return true;
  Bound();
  AfterWrite();
  return !outstanding_;
}

void FileSink::OnRetry() {
  // An open() may have failed with EMFILE: idle files give their descriptors back.
  ForgetIdleFiles();
  bool trouble = false;
  for (auto& [path, f] : files_) {
    if (f.file->troubled() || f.file->pending()) {
      if (!f.file->Retry()) trouble = true;
    }
    CollectRejected(f);
  }
  UpdateProblem();
  if (outstanding_ && backlog() == 0) Done();
  if (!trouble && !outstanding_) return;  // at rest; AfterWrite() starts it again
  retry_.Start(backoff_.Next());
}

}  // namespace steward::log
