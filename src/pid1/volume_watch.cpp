// The configuration volume's inotify watch and its settle timer (volume_watch.hpp).
#include "steward/pid1/volume_watch.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "steward/util/diag.hpp"
#include "steward/util/safe_path.hpp"

namespace steward {

namespace {

// Everything that changes what InstallConfigVolume would read. IN_ONLYDIR
// and IN_DONT_FOLLOW: the watch is on the directory itself, never on what a
// link in the volume points at (the kubelet's links all point inside it,
// into directories that are watched on their own).
constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM |
                           IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                           IN_ONLYDIR | IN_DONT_FOLLOW;

}  // namespace

VolumeWatcher::VolumeWatcher(struct ev_loop* loop, std::string volume, Duration settle,
                             std::function<void()> on_change)
    : volume_(std::move(volume)), settle_(settle), on_change_(std::move(on_change)) {
  while (volume_.size() > 1 && volume_.back() == '/') volume_.pop_back();
  io_.Bind<&VolumeWatcher::Drain>(loop, this);
  settle_timer_.Bind<&VolumeWatcher::OnSettled>(loop, this);
}

bool VolumeWatcher::Start(std::string* err) {
  Stop();
  fd_.Reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd_) {
    *err = SysError("inotify_init1", volume_, errno);
    return false;
  }
  WatchTree(volume_, 0);
  if (dirs_.empty()) {
    *err = SysError("inotify_add_watch", volume_, errno);
    fd_.Reset();
    return false;
  }
  io_.Set(fd_.get(), EV_READ);
  return true;
}

void VolumeWatcher::Stop() {
  io_.Stop();
  settle_timer_.Stop();
  dirs_.clear();
  fd_.Reset();
}

void VolumeWatcher::WatchTree(const std::string& dir, int depth) {
  if (depth > 64) return;  // deeper than any real volume; a link loop cannot get here (no follow)
  if (dirs_.size() >= kMaxWatches) {
    if (!warned_full_) {
      Warning("config volume {}: more than {} directories; changes below {} are not watched",
              volume_, kMaxWatches, dir);
      warned_full_ = true;
    }
    return;
  }
  int wd = inotify_add_watch(fd_.get(), dir.c_str(), kMask);
  if (wd < 0) {
    if (depth > 0 && errno != ENOENT && errno != ENOTDIR)
      Warning("config volume: {}", SysError("inotify_add_watch", dir, errno));
    return;
  }
  dirs_[wd] = dir;
  // Listed without following a link a sidecar that can write the volume
  // could have swapped in since the watch was added (util/safe_path.hpp).
  SafeFile listed;
  PathError perr;
  OpenRequest req;
  req.flags = O_RDONLY;
  req.directory = true;
  if (!OpenSafely(dir, req, &listed, &perr)) return;
  DIR* d = fdopendir(listed.fd.get());
  if (!d) return;
  listed.fd.Release();  // the DIR owns it now
  std::vector<std::string> subdirs;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
      subdirs.push_back(dir + "/" + e->d_name);
  }
  closedir(d);
  for (const std::string& sub : subdirs) WatchTree(sub, depth + 1);
}

// Reads every pending event. Any event counts as a change; a new directory
// is watched at once (files written into it before the watch was added are
// covered by the settle: the whole volume is read again afterwards).
void VolumeWatcher::Drain() {
  alignas(struct inotify_event) char buf[8192];
  bool changed = false;
  for (;;) {
    ssize_t n = read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      changed = true;
      if (ev->mask & IN_Q_OVERFLOW) continue;  // events lost: the change is what matters
      if (ev->mask & IN_IGNORED) {
        dirs_.erase(ev->wd);
        continue;
      }
      auto it = dirs_.find(ev->wd);
      if (it != dirs_.end() && ev->len > 0 && (ev->mask & IN_ISDIR) &&
          (ev->mask & (IN_CREATE | IN_MOVED_TO)))
        WatchTree(it->second + "/" + ev->name, 1);
    }
  }
  if (!changed) return;
  // Quiet for settle_ since the last event: Again() restarts the interval.
  settle_timer_.Again(std::max(0.001, Seconds(settle_)));
}

void VolumeWatcher::OnSettled() {
  settle_timer_.Stop();  // one report per quiet period; no timer while idle
  if (dirs_.empty()) {
    // The volume itself went away (unmounted, replaced): watch it again if
    // it is back, so that a later change is still seen.
    std::string err;
    if (!Start(&err)) Warning("config volume {}: no longer watched: {}", volume_, err);
  }
  on_change_();
}

}  // namespace steward
