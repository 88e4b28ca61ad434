// A file sink (SPEC §5 "file"): one RotatingFile per expanded path
// (`{service}` in the path becomes the record's service name).
//
// Drops only what can never be written: when a file cannot be written for a
// transient reason (sink_error.hpp), the batch stays in the RotatingFile,
// the sink is outstanding (the services routed here block once their pipes
// fill) and it retries with back-off until the write succeeds. See
// docs/LOGGING.md for why a full disk blocks rather than drops. A permanent
// error (a name the filesystem refuses) drops that file's records, counted
// and announced once per cause through Sink::Reject(), and the sink goes on.
//
// Syslog tags are chosen by any process in the container: at most
// kMaxTagFiles distinct file names are made from them; the records of
// further tags go to the file of `{service}` = "syslog".
#pragma once

#include <ev.h>

#include <map>
#include <memory>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/log/sinks/endpoint.hpp"
#include "steward/log/sinks/rotating_file.hpp"
#include "steward/log/sinks/sink.hpp"

namespace steward::log {

class FileSink : public Sink {
 public:
  // Open files kept at most: 256, or a quarter of RLIMIT_NOFILE when that
  // is low, so a low `ulimit -n` leaves descriptors for pipes and sockets.
  static constexpr size_t kMaxOpenFiles = 256;
  static constexpr size_t kMaxTagFiles = 64;

  FileSink(struct ev_loop* loop, int index, const SinkConfig& cfg, Ready ready);
  ~FileSink() override;

  void Add(const Record& r, std::string_view display) override;
  bool Flush() override;

  // The path for a service: `{service}` replaced, with '/', NUL and control
  // bytes in the name made '_' (and "." or ".." prefixed with '_') so that
  // no name can climb out of the directory or make a strange file name.
  static std::string Expand(const std::string& pattern, std::string_view service);

 private:
  struct File {
    std::unique_ptr<RotatingFile> file;
    std::string batch;
  };
  static void OnRetry(struct ev_loop* loop, ev_timer* w, int revents);
  File& FileFor(std::string_view service);  // cached: lines come in runs per service
  File& FileForSlow(std::string_view service);
  void ForgetIdleFiles();
  void CollectRejected(File& f);
  std::string_view TagName(std::string_view tag);  // within kMaxTagFiles

  struct ev_loop* loop_;
  SinkConfig cfg_;
  bool per_service_;  // the path has {service}
  size_t max_open_;   // kMaxOpenFiles, lowered by RLIMIT_NOFILE
  std::map<std::string, File> files_;
  std::string last_service_;  // FileFor's cache; cleared with the files it points into
  File* last_file_ = nullptr;
  std::vector<std::string> tag_names_;  // syslog tags given a file of their own
  ev_timer retry_{};
  Backoff backoff_;
};

}  // namespace steward::log
