#include "steward/log/sinks/spool.hpp"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace steward::log {

namespace {

constexpr char kMagic[8] = {'S', 'T', 'W', 'S', 'P', 'O', 'O', 'L'};

// The header's fields after the magic, all u64 in host order: the spool is
// read back only by the same binary on the same machine.
struct Header {
  char magic[8];
  uint64_t capacity;
  uint64_t head;
  uint64_t tail;
  uint64_t dropped;
};

bool FullPread(int fd, void* buf, size_t n, off_t off) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = pread(fd, p, n, off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r, n -= size_t(r), off += r;
  }
  return true;
}

bool FullPwrite(int fd, const void* buf, size_t n, off_t off) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= size_t(w), off += w;
  }
  return true;
}

}  // namespace

bool Spool::Open(UniqueFd fd, uint64_t capacity, std::string* note, std::string* err) {
  fd_ = std::move(fd);
  capacity_ = capacity < kMinCapacity ? kMinCapacity : capacity;
  Header h;
  bool valid = FullPread(fd_.get(), &h, sizeof h, 0) && memcmp(h.magic, kMagic, 8) == 0 &&
               h.head <= h.tail && h.tail - h.head <= h.capacity;
  if (valid && h.capacity == capacity_) {
    head_ = h.head, tail_ = h.tail, dropped_ = h.dropped;
    return true;
  }
  if (valid && h.tail != h.head) {
    *note = fmt::format("{} bytes of queued records dropped: buffer size changed", h.tail - h.head);
  }
  head_ = tail_ = 0;
  dropped_ = valid ? h.dropped : 0;
  // Sparse: the ring takes disk space only as it fills.
  if (ftruncate(fd_.get(), off_t(kHeaderSize + capacity_)) != 0 || !WriteHeader()) {
    *err = fmt::format("cannot initialise the spool: {}", strerror(errno));
    return false;
  }
  return true;
}

bool Spool::WriteHeader() {
  Header h;
  memcpy(h.magic, kMagic, 8);
  h.capacity = capacity_, h.head = head_, h.tail = tail_, h.dropped = dropped_;
  if (FullPwrite(fd_.get(), &h, sizeof h, 0)) return true;
  error_ = strerror(errno);
  return false;
}

bool Spool::ReadAt(uint64_t pos, void* buf, size_t n) const {
  uint64_t off = pos % capacity_;
  size_t first = size_t(std::min<uint64_t>(n, capacity_ - off));
  char* p = static_cast<char*>(buf);
  return FullPread(fd_.get(), p, first, off_t(kHeaderSize + off)) &&
         (first == n || FullPread(fd_.get(), p + first, n - first, off_t(kHeaderSize)));
}

bool Spool::WriteAt(uint64_t pos, const void* buf, size_t n) {
  uint64_t off = pos % capacity_;
  size_t first = size_t(std::min<uint64_t>(n, capacity_ - off));
  const char* p = static_cast<const char*>(buf);
  if (FullPwrite(fd_.get(), p, first, off_t(kHeaderSize + off)) &&
      (first == n || FullPwrite(fd_.get(), p + first, n - first, off_t(kHeaderSize)))) {
    return true;
  }
  error_ = strerror(errno);
  return false;
}

// In memory only; the caller writes the header.
bool Spool::DropHead() {
  uint32_t len;
  if (head_ == tail_ || !ReadAt(head_, &len, 4) || 4 + uint64_t(len) > tail_ - head_) {
    head_ = tail_;  // corrupt: nothing after head can be trusted
    return false;
  }
  head_ += 4 + uint64_t(len);
  ++dropped_;
  return true;
}

Spool::Push Spool::Append(std::string_view entry, bool drop_oldest) {
  uint64_t need = 4 + uint64_t(entry.size());
  if (need > capacity_) {
    ++dropped_;
    return WriteHeader() ? Push::kOk : Push::kError;
  }
  if (capacity_ - used() < need) {
    if (!drop_oldest) return Push::kFull;
    while (capacity_ - used() < need) DropHead();
    // Forget the dropped entries before overwriting their bytes.
    if (!WriteHeader()) return Push::kError;
  }
  uint32_t len = uint32_t(entry.size());
  if (!WriteAt(tail_, &len, 4) || !WriteAt(tail_ + 4, entry.data(), entry.size())) {
    return Push::kError;
  }
  tail_ += need;
  if (WriteHeader()) return Push::kOk;
  tail_ -= need;
  return Push::kError;
}

void Spool::Frame(std::string_view entry, std::string* framed) {
  uint32_t len = uint32_t(entry.size());
  framed->append(reinterpret_cast<const char*>(&len), 4);
  framed->append(entry);
}

size_t Spool::AppendFramed(std::string_view framed, bool drop_oldest, Push* result) {
  size_t done = 0;
  *result = Push::kOk;
  while (done < framed.size()) {
    // The longest run of whole entries from `done` that fits in the ring
    // (and, without drop_oldest, in the free space).
    uint64_t room = drop_oldest ? capacity_ : capacity_ - used();
    size_t run = 0;
    while (done + run + 4 <= framed.size()) {
      uint32_t len;
      memcpy(&len, framed.data() + done + run, 4);
      if (run + 4 + uint64_t(len) > room) break;
      run += 4 + size_t(len);
    }
    if (run == 0) {
      uint32_t len;
      memcpy(&len, framed.data() + done, 4);
      if (4 + uint64_t(len) > capacity_) {  // can never fit: drop it alone
        ++dropped_;
        done += 4 + size_t(len);
        if (!WriteHeader()) *result = Push::kError;
        continue;
      }
      *result = Push::kFull;
      return done;
    }
    if (capacity_ - used() < run) {
      while (capacity_ - used() < run) DropHead();
      if (!WriteHeader()) break;  // forget the dropped entries before overwriting them
    }
    if (!WriteAt(tail_, framed.data() + done, run)) break;
    tail_ += run;
    if (!WriteHeader()) {
      tail_ -= run;
      break;
    }
    done += run;
  }
  if (done < framed.size()) *result = Push::kError;
  return done;
}

bool Spool::Read(uint64_t pos, std::string* entry, uint64_t* next) const {
  uint32_t len;
  if (pos < head_ || pos >= tail_ || !ReadAt(pos, &len, 4)) return false;
  if (4 + uint64_t(len) > tail_ - pos) return false;
  entry->resize(len);
  if (!ReadAt(pos + 4, entry->data(), len)) return false;
  *next = pos + 4 + len;
  return true;
}

bool Spool::PopTo(uint64_t pos) {
  if (pos <= head_) return true;
  if (pos > tail_) pos = tail_;
  uint64_t old = head_;
  head_ = pos;
  if (WriteHeader()) return true;
  head_ = old;
  return false;
}

void Spool::Clear() {
  head_ = tail_;
  WriteHeader();
}

}  // namespace steward::log
