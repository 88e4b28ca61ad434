// The plain TCP transport: send(2) and recv(2), counting what was sent.
#include "steward/log/sinks/transport.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

namespace steward::log {

namespace {

class PlainTransport : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}

  Io Handshake(std::string*) override { return Io::kOk; }

  Io Write(const char* p, size_t n, size_t* done, std::string* err) override {
    for (;;) {
      ssize_t r = send(fd_, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (r >= 0) {
        *done = size_t(r);
        written_ += uint64_t(r);
        return Io::kOk;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantWrite;
      *err = strerror(errno);
      return Io::kError;
    }
  }

  Io Read(char* p, size_t n, size_t* got, std::string* err) override {
    for (;;) {
      ssize_t r = recv(fd_, p, n, MSG_DONTWAIT);
      if (r > 0) {
        *got = size_t(r);
        return Io::kOk;
      }
      if (r == 0) return Io::kClosed;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantRead;
      *err = strerror(errno);
      return Io::kError;
    }
  }

  uint64_t wire_written() const override { return written_; }

 private:
  int fd_;
  uint64_t written_ = 0;
};

}  // namespace

std::unique_ptr<Transport> MakePlainTransport(int fd) { return std::make_unique<PlainTransport>(fd); }

}  // namespace steward::log
