// Watching the configuration volume while steward runs (SPEC §7).
//
// A VolumeWatcher holds one inotify descriptor with a watch on the volume
// and on every directory below it, and reports a change once the volume has
// been quiet for `settle`: editors and the kubelet write a volume in many
// steps (a ConfigMap update creates a timestamped directory, fills it, then
// renames a `..data` link over the old one), and installing half of it
// would be worse than waiting a second. Nothing is polled: the descriptor
// wakes the loop, and the settle timer runs only after an event.
//
// Ownership: the watcher owns its inotify descriptor, its ev_io and its
// ev_timer; the owner (PID 1's supervisor) decides what a change means
// (install the volume again, then reload). The volume's contents are read
// by InstallConfigVolume, never here: this only learns that something moved.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "steward/config/parse.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"

namespace steward {

class VolumeWatcher {
 public:
  // Watches nothing until Start().
  VolumeWatcher(struct ev_loop* loop, std::string volume, Duration settle,
                std::function<void()> on_change);
  VolumeWatcher(const VolumeWatcher&) = delete;
  VolumeWatcher& operator=(const VolumeWatcher&) = delete;

  // Begins watching. False with *err set when inotify cannot be had (the
  // caller warns and runs without watching: nothing else depends on it).
  bool Start(std::string* err);
  void Stop();
  void set_settle(Duration settle) { settle_ = settle; }

  // Directories watched now; bounded by kMaxWatches.
  size_t watches() const { return dirs_.size(); }
  static constexpr size_t kMaxWatches = 4096;

 private:
  void Drain();
  void OnSettled();
  // Adds a watch on dir and on every real directory below it.
  void WatchTree(const std::string& dir, int depth);

  std::string volume_;
  Duration settle_;
  std::function<void()> on_change_;
  UniqueFd fd_;
  std::map<int, std::string> dirs_;  // watch descriptor -> directory
  bool warned_full_ = false;         // kMaxWatches reached, said once
  IoWatcher io_;
  TimerWatcher settle_timer_;
};

}  // namespace steward
