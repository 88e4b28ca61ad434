// The file sink: records to one RotatingFile per expanded path.
#include "steward/log/sinks/file_sink.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "steward/util/diag.hpp"
#include "steward/log/sinks/format.hpp"

namespace steward::log {

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
  ev_timer_init(&retry_, &FileSink::OnRetry, 0, 0);
  retry_.data = this;
}

FileSink::~FileSink() { ev_timer_stop(loop_, &retry_); }

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
// under random tags would open files without end. Files with nothing
// pending are closed; they are reopened (appending) when needed again.
void FileSink::ForgetIdleFiles() {
  last_file_ = nullptr;
  for (auto it = files_.begin(); it != files_.end();) {
    if (!it->second.file->pending() && it->second.batch.empty()) {
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

bool FileSink::Flush() {
  bool all = true;
  for (auto& [path, f] : files_) {
    if (f.batch.empty() && !f.file->pending()) continue;
    if (!f.file->Append(f.batch)) all = false;
    f.batch.clear();
    CollectRejected(f);
  }
  if (all) return true;
  if (!outstanding_) {
    outstanding_ = true;
    backoff_.Reset();
    ev_timer_set(&retry_, std::chrono::duration<double>(backoff_.Next()).count(), 0);
    ev_timer_start(loop_, &retry_);
  }
  return false;
}

void FileSink::OnRetry(struct ev_loop* loop, ev_timer* w, int) {
  auto* self = static_cast<FileSink*>(w->data);
  // An open() may have failed with EMFILE: idle files give their descriptors back.
  self->ForgetIdleFiles();
  bool all = true;
  for (auto& [path, f] : self->files_) {
    if (f.file->pending() && !f.file->Retry()) all = false;
    self->CollectRejected(f);
  }
  if (all) {
    self->Done();
    return;
  }
  ev_timer_set(w, std::chrono::duration<double>(self->backoff_.Next()).count(), 0);
  ev_timer_start(loop, w);
}

}  // namespace steward::log
