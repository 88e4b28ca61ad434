// A file sink (SPEC §5 "file"): one RotatingFile per expanded path
// (`{service}` in the path becomes the record's service name).
//
// Never drops: when a file cannot be written, the batch stays in the
// RotatingFile, the sink is outstanding (the services routed here block
// once their pipes fill) and it retries with back-off until the write
// succeeds. See docs/LOGGING.md for why a full disk blocks rather than drops.
#pragma once

#include <ev.h>

#include <map>
#include <memory>

#include "steward/config/config.hpp"
#include "steward/log/sinks/endpoint.hpp"
#include "steward/log/sinks/rotating_file.hpp"
#include "steward/log/sinks/sink.hpp"

namespace steward::log {

class FileSink : public Sink {
 public:
  static constexpr size_t kMaxOpenFiles = 256;

  FileSink(struct ev_loop* loop, int index, const SinkConfig& cfg, Ready ready);
  ~FileSink() override;

  void Add(const Record& r, std::string_view display) override;
  bool Flush() override;

  // The path for a service: `{service}` replaced, with '/' in the name
  // made '_' so a syslog tag cannot climb out of the directory.
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

  struct ev_loop* loop_;
  SinkConfig cfg_;
  bool per_service_;  // the path has {service}
  std::map<std::string, File> files_;
  std::string last_service_;  // FileFor's cache; cleared with the files it points into
  File* last_file_ = nullptr;
  ev_timer retry_{};
  Backoff backoff_;
};

}  // namespace steward::log
