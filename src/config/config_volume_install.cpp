// The configuration volume (SPEC §7): installing what was rendered, over
// directories that services may own (util/safe_path.hpp).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>

#include <fmt/format.h>

#include "steward/config/config_volume.hpp"
#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/safe_path.hpp"

namespace steward {

namespace {

// A destination directory, opened once for every file that goes into it.
struct DestDir {
  SafeFile dir;          // dir.fd: the directory itself
  bool trusted = false;  // it and everything above it are root's alone
};

// One file on its way in: its directory, the name it goes to, and the
// temporary name it is written at first.
struct Step {
  const VolumeFile* file;
  DestDir* dir;
  std::string name;
  std::string tmp;  // "" until written
};

// Opens a destination directory (made when missing, create) without
// following a link someone else could have put on the way.
bool OpenDestDir(const std::string& path, bool create, DestDir* d, PathError* perr) {
  if (path == "/") {  // a file at the top of the volume: no walk to do
    d->dir.fd.Reset(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d->dir.fd || fstat(d->dir.fd.get(), &d->dir.st) != 0) {
      perr->err = errno;
      perr->text = SysError("open", "/", errno);
      return false;
    }
    d->trusted = WhoElseCanWrite(d->dir.st, uid_t(-1)).empty();
    return true;
  }
  OpenRequest req;
  req.flags = O_RDONLY | (create ? O_CREAT : 0);  // the directory itself too, when missing
  req.mode = 0755;
  req.directory = true;
  req.make_parents = create;
  req.parent_mode = 0755;
  if (!OpenSafely(path, req, &d->dir, perr)) return false;
  d->trusted = d->dir.dir_trusted && WhoElseCanWrite(d->dir.st, uid_t(-1)).empty();
  return true;
}

void SplitDest(const std::string& dest, std::string* dir, std::string* name) {
  size_t slash = dest.rfind('/');
  *dir = slash == 0 ? "/" : dest.substr(0, slash);
  *name = dest.substr(slash + 1);
}

// An unpredictable name: someone who can write the directory cannot have
// a link or a FIFO waiting there (and O_EXCL refuses one anyway).
std::string TemporaryName() {
  uint64_t r = 0;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != ssize_t(sizeof r)) {
    // No entropy yet (very early boot): still unique enough for O_EXCL,
    // which is what keeps the file steward's own.
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r = (uint64_t(ts.tv_nsec) << 20) ^ uint64_t(ts.tv_sec) ^ (++counter << 40) ^ uint64_t(getpid());
  }
  return fmt::format(".steward-{:016x}.tmp", r);
}

// True when the destination already holds exactly this content and mode:
// installing it again would only give readers a new inode (and wake their
// own watchers). Read under the same rules as everything else there: a FIFO
// or a link someone swapped in is simply "not installed".
bool AlreadyInstalled(const Step& s) {
  SafeFile f;
  PathError perr;
  OpenRequest req;
  req.flags = O_RDONLY;
  if (!OpenBeside(s.dir->dir.fd.get(), s.dir->trusted, s.name, req, &f, &perr)) return false;
  const std::string& want = s.file->content;
  if ((f.st.st_mode & 07777) != s.file->mode || size_t(f.st.st_size) != want.size()) return false;
  std::string now(want.size() + 1, '\0');
  size_t got = 0;
  while (got < now.size()) {
    ssize_t n = read(f.fd.get(), &now[got], now.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
  }
  return got == want.size() && now.compare(0, got, want) == 0;
}

// Writes the file at a fresh temporary name beside its destination.
bool WriteTemporary(Step* s, std::string* err) {
  SafeFile f;
  PathError perr;
  OpenRequest req;
  req.flags = O_WRONLY | O_CREAT | O_EXCL;
  req.mode = 0600;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string name = TemporaryName();
    if (OpenBeside(s->dir->dir.fd.get(), s->dir->trusted, name, req, &f, &perr)) {
      s->tmp = name;
      break;
    }
    if (perr.err != EEXIST) break;
  }
  if (s->tmp.empty()) {
    *err = perr.text;
    return false;
  }
  if (!WriteAll(f.fd.get(), s->file->content) || fchmod(f.fd.get(), s->file->mode) < 0) {
    *err = SysError("write", s->file->dest, errno);
    return false;
  }
  return true;
}

class Installer {
 public:
  explicit Installer(VolumeResult* r) : r_(r) {}
  ~Installer() {
    // Whatever was written and not renamed goes again: a refused volume
    // leaves nothing behind.
    for (const Step& s : steps_) {
      if (!s.tmp.empty()) (void)unlinkat(s.dir->dir.fd.get(), s.tmp.c_str(), 0);
    }
  }

  void Run(const RenderedVolume& v) {
    // 1. Every destination directory, walked without following a link
    //    someone else could have put there, missing ones made (0755).
    for (const VolumeFile& f : v.files) {
      std::string dir, name;
      SplitDest(f.dest, &dir, &name);
      DestDir* d = Open(dir, f.source);
      if (d) steps_.push_back({&f, d, name, ""});
    }
    if (!r_->errors.empty()) return;
    // 2. Every changed file written at its temporary name.
    std::vector<Step*> todo;
    for (Step& s : steps_) {
      if (AlreadyInstalled(s)) {
        r_->unchanged.push_back(s.file->dest);
        continue;
      }
      std::string err;
      if (!Refuse(s) && !WriteTemporary(&s, &err))
        r_->errors.push_back(fmt::format("{}: not installed: {}", s.file->source, err));
      todo.push_back(&s);
    }
    if (!r_->errors.empty()) return;
    // 3. Renamed into place, each atomically for its readers.
    for (Step* s : todo) {
      int fd = s->dir->dir.fd.get();
      if (renameat(fd, s->tmp.c_str(), fd, s->name.c_str()) < 0) {
        r_->errors.push_back(fmt::format("{}: not installed: {}", s->file->source,
                                         SysError("rename", s->file->dest, errno)));
        continue;
      }
      s->tmp.clear();
      r_->installed.push_back(s->file->dest);
      if (s->file->stripped)
        r_->warnings.push_back(fmt::format(
            "config volume: {} has the setuid or setgid bit; installed {} as {:04o} without it",
            s->file->source, s->file->dest, s->file->mode));
    }
  }

 private:
  DestDir* Open(const std::string& dir, const std::string& source) {
    auto it = dirs_.find(dir);
    if (it != dirs_.end()) return it->second.get();
    auto d = std::make_unique<DestDir>();
    PathError perr;
    if (!OpenDestDir(dir, true, d.get(), &perr)) {
      r_->errors.push_back(fmt::format("{}: not installed: {}", source, perr.text));
      return nullptr;
    }
    return (dirs_[dir] = std::move(d)).get();
  }

  // A directory where the file should go cannot be replaced by a rename;
  // found before anything is renamed, so it installs nothing.
  bool Refuse(const Step& s) {
    struct stat st;
    if (fstatat(s.dir->dir.fd.get(), s.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISDIR(st.st_mode))
      return false;
    r_->errors.push_back(fmt::format("{}: not installed: {} is a directory", s.file->source,
                                     s.file->dest));
    return true;
  }

  VolumeResult* r_;
  std::map<std::string, std::unique_ptr<DestDir>> dirs_;
  std::vector<Step> steps_;
};

}  // namespace

bool RenderedVolumeInstalled(const RenderedVolume& v) {
  if (!v.errors.empty()) return false;
  for (const VolumeFile& f : v.files) {
    std::string dir, name;
    SplitDest(f.dest, &dir, &name);
    DestDir d;
    PathError perr;
    if (!OpenDestDir(dir, false, &d, &perr)) return false;
    if (!AlreadyInstalled({&f, &d, name, ""})) return false;
  }
  return true;
}

VolumeResult InstallRendered(const RenderedVolume& v) {
  VolumeResult r;
  if (!v.errors.empty()) {
    r.errors = v.errors;
    return r;
  }
  Installer(&r).Run(v);
  return r;
}

}  // namespace steward
