// The hub <-> forwarder wire: typed messages and their SOCK_SEQPACKET framing.
#include "steward/log/protocol.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

namespace steward::log {

namespace {

constexpr size_t kMaxFds = 8;
constexpr size_t kMaxMessage = 64 << 10;

void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }

bool GetU32(const char** p, const char* end, uint32_t* v) {
  if (end - *p < 4) return false;
  memcpy(v, *p, 4);
  *p += 4;
  return true;
}

}  // namespace

// Layout: type(1) id(4) value(8) count(4), then count x (len(4) bytes).
int SendMessage(int sock, const Message& m) {
  std::string buf;
  buf.push_back(char(m.type));
  PutU32(&buf, m.id);
  buf.append(reinterpret_cast<const char*>(&m.value), 8);
  PutU32(&buf, uint32_t(m.strings.size()));
  for (const std::string& s : m.strings) {
    PutU32(&buf, uint32_t(s.size()));
    buf.append(s);
  }
  if (buf.size() > kMaxMessage || m.fds.size() > kMaxFds) {
    errno = EMSGSIZE;
    return -1;
  }
  struct iovec iov = {buf.data(), buf.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!m.fds.empty()) {
    size_t len = sizeof(int) * m.fds.size();
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(len);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(c), m.fds.data(), len);
  }
  for (;;) {
    // MSG_NOSIGNAL: PID 1 must never get SIGPIPE from a dead forwarder.
    ssize_t n = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return 1;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

int ReceiveMessage(int sock, Message* m, std::vector<UniqueFd>* fds) {
  std::string buf(kMaxMessage, '\0');  // messages are rare: no need to keep it
  struct iovec iov = {buf.data(), buf.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return int(n);
  fds->clear();
  m->fds.clear();
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds->emplace_back(fd);
      m->fds.push_back(fd);
    }
  }
  const char* p = buf.data();
  const char* end = p + n;
  uint32_t count;
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || end - p < 13) {
    errno = EBADMSG;
    return -1;
  }
  m->type = MsgType(uint8_t(*p++));
  GetU32(&p, end, &m->id);
  memcpy(&m->value, p, 8);
  p += 8;
  m->strings.clear();
  if (!GetU32(&p, end, &count)) {
    errno = EBADMSG;
    return -1;
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len;
    if (!GetU32(&p, end, &len) || uint32_t(end - p) < len) {
      errno = EBADMSG;
      return -1;
    }
    m->strings.emplace_back(p, len);
    p += len;
  }
  return 1;
}

// ---- typed messages ---------------------------------------------------------

// strings: name, prefix, console "0"/"1", "" (sinks by glob) or "=" then names.
Message Encode(const AttachMsg& a) {
  Message m;
  m.type = MsgType::kAttach;
  m.id = a.id;
  m.strings = {a.name, a.prefix, a.own ? "s" : a.console ? "1" : "0", a.sinks ? "=" : ""};
  if (a.sinks) m.strings.insert(m.strings.end(), a.sinks->begin(), a.sinks->end());
  m.fds = a.fds;
  return m;
}
bool Decode(const Message& m, AttachMsg* a) {
  if (m.type != MsgType::kAttach || m.strings.size() < 4) return false;
  a->id = m.id;
  a->name = m.strings[0];
  a->prefix = m.strings[1];
  a->console = m.strings[2] != "0";
  a->own = m.strings[2] == "s";
  a->sinks.reset();
  if (m.strings[3] == "=") a->sinks.emplace(m.strings.begin() + 4, m.strings.end());
  a->fds = m.fds;
  return true;
}

Message Encode(const SetPidMsg& a) {
  Message m;
  m.type = MsgType::kSetPid;
  m.id = a.id;
  m.value = a.pid;
  return m;
}
bool Decode(const Message& m, SetPidMsg* a) {
  if (m.type != MsgType::kSetPid) return false;
  a->id = m.id;
  a->pid = pid_t(m.value);
  return true;
}

Message Encode(const DetachMsg& a) {
  Message m;
  m.type = MsgType::kDetach;
  m.id = a.id;
  return m;
}
bool Decode(const Message& m, DetachMsg* a) {
  if (m.type != MsgType::kDetach) return false;
  a->id = m.id;
  return true;
}

Message Encode(const SpoolMsg& a) {
  Message m;
  m.type = MsgType::kSpool;
  m.strings = {a.sink};
  m.fds = {a.fd};
  return m;
}
bool Decode(const Message& m, SpoolMsg* a) {
  if (m.type != MsgType::kSpool || m.strings.size() != 1 || m.fds.size() != 1) return false;
  a->sink = m.strings[0];
  a->fd = m.fds[0];
  return true;
}

Message Encode(const SyslogMsg& a) {
  Message m;
  m.type = MsgType::kSyslog;
  m.fds = {a.fd};
  return m;
}
bool Decode(const Message& m, SyslogMsg* a) {
  if (m.type != MsgType::kSyslog || m.fds.size() != 1) return false;
  a->fd = m.fds[0];
  return true;
}

Message Encode(const StartMsg&) {
  Message m;
  m.type = MsgType::kStart;
  return m;
}
bool Decode(const Message& m, StartMsg*) { return m.type == MsgType::kStart; }

Message Encode(const DrainMsg& a) {
  Message m;
  m.type = MsgType::kDrain;
  m.value = a.left.count();
  return m;
}
bool Decode(const Message& m, DrainMsg* a) {
  if (m.type != MsgType::kDrain) return false;
  a->left = Duration(m.value);
  return true;
}

Message Encode(const WidthMsg& a) {
  Message m;
  m.type = MsgType::kWidth;
  m.value = a.width;
  return m;
}
bool Decode(const Message& m, WidthMsg* a) {
  if (m.type != MsgType::kWidth) return false;
  a->width = m.value;
  return true;
}

Message Encode(const TailMsg& a) {
  Message m;
  m.type = MsgType::kTail;
  m.strings = {a.service, std::string(a.follow ? "f" : "") + (a.configured ? "" : "t")};
  m.value = a.lines;
  m.fds = {a.fd};
  return m;
}
bool Decode(const Message& m, TailMsg* a) {
  if (m.type != MsgType::kTail || m.strings.size() != 2 || m.fds.size() != 1 || m.value < 0)
    return false;
  a->service = m.strings[0];
  a->follow = m.strings[1].find('f') != std::string::npos;
  a->configured = m.strings[1].find('t') == std::string::npos;
  a->lines = m.value;
  a->fd = m.fds[0];
  return true;
}

Message Encode(const DetachedMsg& a) {
  Message m;
  m.type = MsgType::kDetached;
  m.id = a.id;
  return m;
}
bool Decode(const Message& m, DetachedMsg* a) {
  if (m.type != MsgType::kDetached) return false;
  a->id = m.id;
  return true;
}

Message Encode(const DroppedMsg& a) {
  Message m;
  m.type = MsgType::kDropped;
  m.strings = {a.sink};
  if (a.problem) m.strings.push_back(*a.problem);
  m.value = int64_t(a.total);
  return m;
}
bool Decode(const Message& m, DroppedMsg* a) {
  if (m.type != MsgType::kDropped || m.strings.empty() || m.strings.size() > 2) return false;
  a->sink = m.strings[0];
  a->total = uint64_t(m.value);
  a->problem.reset();
  if (m.strings.size() == 2) a->problem = m.strings[1];
  return true;
}

Message Encode(const HandoverMsg& a) {
  Message m;
  m.type = MsgType::kHandover;
  m.id = a.drain_syslog ? 1 : 0;
  m.value = a.left.count();
  m.strings = a.kept;
  return m;
}
bool Decode(const Message& m, HandoverMsg* a) {
  if (m.type != MsgType::kHandover || m.id > 1 || m.value < 0 || !m.fds.empty()) return false;
  a->left = Duration(m.value);
  a->drain_syslog = m.id == 1;
  a->kept = m.strings;
  return true;
}

Message Encode(const RingsMsg& a) {
  Message m;
  m.type = MsgType::kRings;
  m.fds = {a.fd};
  return m;
}
bool Decode(const Message& m, RingsMsg* a) {
  if (m.type != MsgType::kRings || m.fds.size() != 1 || !m.strings.empty()) return false;
  a->fd = m.fds[0];
  return true;
}

Message Encode(const TailsMsg& a) {
  Message m;
  m.type = MsgType::kTails;
  m.fds = a.fds;
  return m;
}
bool Decode(const Message& m, TailsMsg* a) {
  if (m.type != MsgType::kTails || m.fds.empty() || m.fds.size() > kMaxFds || !m.strings.empty())
    return false;
  a->fds = m.fds;
  return true;
}

}  // namespace steward::log
