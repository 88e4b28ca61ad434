// A file sink (SPEC §5 "file"): one RotatingFile per expanded path
// (`{service}` in the path becomes the record's service name).
//
// A sink in trouble holds back only itself (SPEC §5 "Delivery
// guarantees"). When a file cannot be written for a transient reason
// (sink_error.hpp: no space, permission, a read-only filesystem, a missing
// directory) its lines wait in that RotatingFile: the sink's *backlog*, at
// most `buffer` bytes over all its files. While the backlog has room,
// Flush() reports the batch safe, so the console, `ctl logs` and the other
// sinks go on; a back-off timer (100 ms to 5 s) retries, so a fixed
// permission or freed space is picked up. At the bound `overflow` decides:
// "drop-oldest" (the default for a file sink) gives up the oldest lines of
// the largest backlog, counted in dropped() and announced once per file;
// "block" makes the sink outstanding until the backlog is written, so the
// services routed here block (today's Docker-blocking-mode trade).
// The backlog lives in memory: what it holds when the forwarder exits or is
// replaced is lost, and said so.
//
// A permanent error (a name the filesystem refuses, a path steward refuses
// for safety: a link, a FIFO/socket/device, a hard link in a directory
// others can write) drops that file's records, counted and announced once
// per file and cause through Sink::Reject(), until a retry finds it fixed.
// Either trouble is problem() (`ctl status`'s PROBLEM) until it clears, and
// never makes the sink outstanding, nor keeps the drain waiting (Idle()).
//
// Syslog tags are chosen by any process in the container: at most
// kMaxTagFiles distinct file names are made from them; the records of
// further tags go to the file of `{service}` = "syslog".
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/util/watcher.hpp"
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
  uint64_t dropped() const override { return dropped_; }

  // Why some file cannot be written right now ("cannot open PATH:
  // Permission denied", and how many more files are in trouble), "" while
  // every file can. on_problem is called whenever it changes, and once
  // after the first Flush() (PID 1 keeps what an earlier forwarder said).
  const std::string& problem() const { return problem_; }
  std::function<void()> on_problem;
  // Bytes waiting in the backlog, over all files.
  size_t backlog() const;

  // The path for a service: `{service}` replaced, with '/', NUL and control
  // bytes in the name made '_' (and "." or ".." prefixed with '_') so that
  // no name can climb out of the directory or make a strange file name.
  static std::string Expand(const std::string& pattern, std::string_view service);

 private:
  struct File {
    std::unique_ptr<RotatingFile> file;
    std::string batch;
  };
  void OnRetry();
  File& FileFor(std::string_view service);  // cached: lines come in runs per service
  File& FileForSlow(std::string_view service);
  void ForgetIdleFiles();
  void CollectRejected(File& f);
  void Bound();         // the backlog within cfg_.buffer, per overflow
  void AfterWrite();    // problem, retry timer, outstanding
  void UpdateProblem();
  std::string_view TagName(std::string_view tag);  // within kMaxTagFiles

  struct ev_loop* loop_;
  SinkConfig cfg_;
  bool per_service_;  // the path has {service}
  size_t max_open_;   // kMaxOpenFiles, lowered by RLIMIT_NOFILE
  std::map<std::string, File> files_;
  std::string last_service_;  // FileFor's cache; cleared with the files it points into
  File* last_file_ = nullptr;
  std::vector<std::string> tag_names_;  // syslog tags given a file of their own
  TimerWatcher retry_;
  Backoff backoff_;
  uint64_t dropped_ = 0;      // overflow = "drop-oldest"
  std::string problem_;
  bool problem_told_ = false;
};

}  // namespace steward::log
