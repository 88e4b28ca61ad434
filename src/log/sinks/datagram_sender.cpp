// The datagram sender: udp:// and a unix datagram socket, one record per
// datagram, a record leaving the spool once sent (see sender.hpp).
#include <errno.h>
#include <ev.h>
#include <string.h>
#include <sys/socket.h>

#include "steward/log/sinks/sender.hpp"

namespace steward::log {

namespace {

constexpr int kDatagramBurst = 256;  // datagrams per turn of the loop

class DatagramSender : public Sender {
 public:
  DatagramSender(int fd, SpoolCursor* cursor, RecordFormat format)
      : fd_(fd), cursor_(cursor), format_(std::move(format)) {}

  Step Handshake() override { return Done(); }
  Step Open() override { return Done(); }
  Step Receive() override { return Pending(); }
  bool Drained() const override { return true; }

  Step Send() override {
    std::string msg;
    Record r;
    uint64_t pop_to = 0, next;
    interest_ = 0;
    for (int i = 0; i < kDatagramBurst; ++i) {
      if (cursor_->Peek(&r, &next) != SpoolCursor::Read::kEntry) break;
      msg.clear();
      format_(r, &msg);
      ssize_t n = send(fd_, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        --i;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
      if (n < 0 && errno == EMSGSIZE) {
        cursor_->CountUnsendable();  // can never be sent: counted as dropped
      } else if (n < 0) {
        int error = errno;
        if (pop_to) cursor_->Ack(pop_to);
        return Lost(strerror(error));
      }
      pop_to = next;
      cursor_->SentTo(next);
    }
    if (pop_to) cursor_->Ack(pop_to);
    if (cursor_->unsent()) interest_ = EV_WRITE;
    return Pending();
  }

 private:
  int fd_;
  SpoolCursor* cursor_;
  RecordFormat format_;
};

}  // namespace

std::unique_ptr<Sender> MakeDatagramSender(int fd, SpoolCursor* cursor, RecordFormat format) {
  return std::make_unique<DatagramSender>(fd, cursor, std::move(format));
}

}  // namespace steward::log
