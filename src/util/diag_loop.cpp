// PID 1's stderr while its event loop runs (diag_loop.hpp).
#include "steward/util/diag_loop.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "steward/util/diag.hpp"

namespace steward {

LoopStderr::LoopStderr(struct ev_loop* loop, int fd)
    : loop_(loop),
      fd_(fd),
      pid_(getpid()),
      queue_([this](std::string_view b) { return Write(b); }) {
  struct stat st;
  bool known = fstat(fd_, &st) == 0;
  if (!known || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
    mode_ = Mode::kFile;  // or closed: the first write says EBADF, and that is that
  } else if (S_ISSOCK(st.st_mode)) {
    mode_ = Mode::kSend;
  } else {
    // A description of our own: O_NONBLOCK on it changes nothing for the
    // services, the forwarder or whoever else holds the inherited one.
    std::string self = "/proc/self/fd/" + std::to_string(fd_);
    own_.Reset(open(self.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    mode_ = own_ ? Mode::kOwn : Mode::kPoll;
  }
  io_.Bind<&LoopStderr::OnWritable>(loop_, this, own_ ? own_.get() : fd_, EV_WRITE);
  timer_.Bind<&LoopStderr::OnTimer>(loop_, this);
  SetLoopStderr(this);
}

LoopStderr::~LoopStderr() {
  SetLoopStderr(nullptr);
  if (getpid() != pid_) return;
  // PID 1 is about to exit: the counts of what was held back go out now,
  // with what stderr takes without waiting; the rest is lost.
  for (const std::string& s : limiter_.Expired(HUGE_VAL))
    queue_.Push("steward: warning: " + s + "\n");
  queue_.Flush();
}

bool LoopStderr::Take(std::string_view text, std::string_view line) {
  if (getpid() != pid_) return false;
  double now = ev_now(loop_);
  if (!limiter_.Allow(text, now)) {
    // Armed for the earliest window that ends with something held back.
    timer_.Start(std::max(limiter_.NextDue() - now, 0.0));
    return true;
  }
  Push(line);
  return true;
}

// To the forwarder while it takes steward's own lines, else to stderr.
void LoopStderr::Push(std::string_view line) {
  if (SendOwnLine(line)) return;
  if (queue_.Push(line) && !io_.active()) io_.Start();
}

void LoopStderr::OnWritable() {
  if (!queue_.Flush()) io_.Stop();
}

// A window with messages held back has ended: say how many.
void LoopStderr::OnTimer() {
  double now = ev_now(loop_);
  for (const std::string& s : limiter_.Expired(now)) Push("steward: warning: " + s + "\n");
  if (double due = limiter_.NextDue(); due > 0) timer_.Start(std::max(due - now, 0.0));
}

ssize_t LoopStderr::Write(std::string_view bytes) {
  for (;;) {
    ssize_t n;
    switch (mode_) {
      case Mode::kFile: n = write(fd_, bytes.data(), bytes.size()); break;
      case Mode::kSend:
        n = send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        break;
      case Mode::kOwn: n = write(own_.get(), bytes.data(), bytes.size()); break;
      case Mode::kPoll: {
        struct pollfd p = {fd_, POLLOUT, 0};
        int r = poll(&p, 1, 0);
        if (r == 0 || (r == 1 && !(p.revents & (POLLOUT | POLLERR | POLLHUP)))) return 0;
        n = write(fd_, bytes.data(), std::min(bytes.size(), size_t(PIPE_BUF)));
        break;
      }
    }
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno == EPIPE) {
      // Our own write raised it, and PID 1 blocks every signal and forwards
      // what its signalfd reads: take it back, or the services would get a
      // SIGPIPE steward caused.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      struct timespec zero = {0, 0};
      (void)sigtimedwait(&pipe, nullptr, &zero);
      return -1;
    }
    if (errno == EBADF) return -1;
    // Anything else (a full disk under a redirected stderr): this line is
    // lost, as it was with the blocking write; the next may go through.
    return ssize_t(bytes.size());
  }
}

}  // namespace steward
