// The journal of one pipe: a memfd of what was read, kept until every sink has it.
#include "steward/log/journal.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

#include "steward/util/diag.hpp"

namespace steward::log {

namespace {

constexpr char kMagic[8] = {'S', 'T', 'W', 'J', 'R', 'N', 'L', '1'};
constexpr uint64_t kPunchStep = 256 << 10;  // free memory in steps, not per line
// The mapped window: address space only (pages come and go with the memfd),
// large enough that a busy pipe remaps every few MiB, not every splice.
constexpr uint64_t kMapWindow = 8 << 20;

struct Header {
  char magic[8];
  uint64_t cursor;
};

}  // namespace

UniqueFd Journal::Create(const std::string& name, std::string* err) {
  UniqueFd fd(memfd_create(name.c_str(), MFD_CLOEXEC));
  if (!fd) {
    *err = SysError("memfd_create", name, errno);
    return fd;
  }
  Header h;
  memcpy(h.magic, kMagic, 8);
  h.cursor = kDataStart;
  if (pwrite(fd.get(), &h, sizeof h, 0) != ssize_t(sizeof h) ||
      ftruncate(fd.get(), off_t(kDataStart)) != 0) {
    *err = SysError("write", name, errno);
    fd.Reset();
  }
  return fd;
}

Journal::~Journal() { Unmap(); }

void Journal::Unmap() {
  if (map_) munmap(map_, map_len_);
  map_ = nullptr;
  map_len_ = 0;
}

bool Journal::Open(UniqueFd fd, std::string* err) {
  Unmap();
  fd_ = std::move(fd);
  Header h;
  struct stat st;
  if (pread(fd_.get(), &h, sizeof h, 0) != ssize_t(sizeof h) || memcmp(h.magic, kMagic, 8) != 0 ||
      fstat(fd_.get(), &st) != 0) {
    *err = "not a log journal";
    return false;
  }
  end_ = uint64_t(st.st_size);
  cursor_ = h.cursor < kDataStart ? kDataStart : std::min<uint64_t>(h.cursor, end_);
  punched_ = kDataStart;
  return true;
}

ssize_t Journal::SpliceFrom(int pipe_fd, size_t max) {
  if (use_splice_) {
    loff_t off = loff_t(end_);
    ssize_t n = splice(pipe_fd, nullptr, fd_.get(), &off, max, SPLICE_F_NONBLOCK);
    if (n > 0) end_ += uint64_t(n);
    if (n >= 0 || errno != EINVAL) return n;
    // Only a kernel without splice into shmem gets here. read() then
    // pwrite() opens a window where a SIGKILL loses the bytes in between.
    Warning("log journal: splice() not supported; a forwarder crash may lose a few lines");
    use_splice_ = false;
  }
  char buf[65536];
  ssize_t n = read(pipe_fd, buf, std::min(max, sizeof buf));
  if (n <= 0) return n;
  if (pwrite(fd_.get(), buf, size_t(n), off_t(end_)) != n) return -1;
  end_ += uint64_t(n);
  return n;
}

bool Journal::Read(uint64_t from, std::string* out) const {
  if (from > end_) return false;
  out->resize(size_t(end_ - from));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = pread(fd_.get(), out->data() + done, out->size() - done, off_t(from + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

bool Journal::View(uint64_t from, std::string* scratch, std::string_view* out) {
  if (from > end_) return false;
  if (use_map_ && (!map_ || from < map_from_ || end_ > map_from_ + map_len_)) {
    Unmap();
    // The window starts at the page of `from` and reaches past end_: the
    // memfd grows under it (only bytes below end_ are ever touched, so the
    // part beyond the file's size is never faulted).
    uint64_t start = from & ~uint64_t(4095);
    uint64_t len = std::max(kMapWindow, (end_ - start + 4095) & ~uint64_t(4095));
    void* p = mmap(nullptr, size_t(len), PROT_READ, MAP_SHARED, fd_.get(), off_t(start));
    if (p == MAP_FAILED) {
      use_map_ = false;
    } else {
      map_ = static_cast<char*>(p);
      map_from_ = start;
      map_len_ = size_t(len);
    }
  }
  if (!use_map_) {
    if (!Read(from, scratch)) return false;
    *out = *scratch;
    return true;
  }
  *out = std::string_view(map_ + (from - map_from_), size_t(end_ - from));
  return true;
}

void Journal::Commit(uint64_t cursor) {
  if (cursor <= cursor_) return;
  cursor_ = cursor;
  // One aligned 8-byte write: a kill cannot leave half of it.
  pwrite(fd_.get(), &cursor_, sizeof cursor_, offsetof(Header, cursor));
  uint64_t page_end = cursor_ & ~uint64_t(4095);
  if (page_end >= punched_ + kPunchStep) {
    fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(punched_),
              off_t(page_end - punched_));
    punched_ = page_end;
  }
}

}  // namespace steward::log
