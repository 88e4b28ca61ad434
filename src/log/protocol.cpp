// The hub <-> forwarder wire: typed messages and their SOCK_SEQPACKET framing.
#include "steward/log/protocol.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <type_traits>

#include "steward/util/number.hpp"

namespace steward::log {

namespace {

constexpr size_t kMaxFds = kMaxMessageFds;
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

// ---- typed messages: each kind's Put and Get ---------------------------------
// Get assigns its member whatever was there before; false: malformed.

namespace {

struct Reader {
  const Message& m;
  size_t s = 0, f = 0;  // the next string, the next descriptor
  bool NextString(const std::string** out) {
    if (s >= m.strings.size()) return false;
    *out = &m.strings[s++];
    return true;
  }
};

int64_t ToWire(Duration d) { return d.count(); }
template <class T> int64_t ToWire(T v) { return int64_t(v); }
void FromWire(int64_t v, Duration* d) { *d = Duration(v); }
template <class T> void FromWire(int64_t v, T* out) { *out = T(v); }

template <class M, auto P, uint32_t Max> void Put(Id<P, Max>, const M& a, Message* m) {
  m->id = uint32_t(a.*P);
}
template <class M, auto P, uint32_t Max> bool Get(Id<P, Max>, Reader* r, M* a) {
  using T = std::remove_reference_t<decltype(a->*P)>;
  a->*P = T(r->m.id);
  return r->m.id <= Max;
}

template <class M, auto P> void Put(Flag<P>, const M& a, Message* m) { m->id = a.*P ? 1 : 0; }
template <class M, auto P> bool Get(Flag<P>, Reader* r, M* a) {
  a->*P = r->m.id == 1;
  return r->m.id <= 1;
}

template <class M, auto P, Sign S, int64_t Max> void Put(Value<P, S, Max>, const M& a, Message* m) {
  m->value = ToWire(a.*P);
}
template <class M, auto P, Sign S, int64_t Max> bool Get(Value<P, S, Max>, Reader* r, M* a) {
  FromWire(r->m.value, &(a->*P));
  return (S == Sign::kAny || r->m.value >= 0) && r->m.value <= Max;
}

template <class M, auto P> void Put(Str<P>, const M& a, Message* m) { m->strings.push_back(a.*P); }
template <class M, auto P> bool Get(Str<P>, Reader* r, M* a) {
  const std::string* s;
  if (!r->NextString(&s)) return false;
  a->*P = *s;
  return true;
}

template <class M, auto P> void Put(OptStr<P>, const M& a, Message* m) {
  if (a.*P) m->strings.push_back(*(a.*P));
}
template <class M, auto P> bool Get(OptStr<P>, Reader* r, M* a) {
  const std::string* s;
  (a->*P).reset();
  if (r->NextString(&s)) a->*P = *s;
  return true;
}

template <class M, auto P> void Put(Strs<P>, const M& a, Message* m) {
  m->strings.insert(m->strings.end(), (a.*P).begin(), (a.*P).end());
}
template <class M, auto P> bool Get(Strs<P>, Reader* r, M* a) {
  (a->*P).assign(r->m.strings.begin() + long(r->s), r->m.strings.end());
  r->s = r->m.strings.size();
  return true;
}

template <class M, auto P> void Put(OptStrs<P>, const M& a, Message* m) {
  m->strings.push_back(a.*P ? "=" : "");
  if (a.*P) m->strings.insert(m->strings.end(), (a.*P)->begin(), (a.*P)->end());
}
template <class M, auto P> bool Get(OptStrs<P>, Reader* r, M* a) {
  const std::string* marker;
  (a->*P).reset();
  if (!r->NextString(&marker)) return false;
  if (*marker != "=") return marker->empty() && r->s == r->m.strings.size();
  (a->*P).emplace(r->m.strings.begin() + long(r->s), r->m.strings.end());
  r->s = r->m.strings.size();
  return true;
}

template <class M, class Codec> void Put(Text<Codec>, const M& a, Message* m) {
  m->strings.push_back(Codec::Put(a));
}
template <class M, class Codec> bool Get(Text<Codec>, Reader* r, M* a) {
  const std::string* s;
  return r->NextString(&s) && Codec::Get(*s, a);
}

template <class T> uint64_t ToNum(T v) {
  if constexpr (std::is_same_v<T, Duration>) {
    return uint64_t(v.count());
  } else {
    return uint64_t(v);
  }
}
template <class T> T FromNum(uint64_t v) {
  if constexpr (std::is_same_v<T, Duration>) {
    return Duration(int64_t(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v == 1;
  } else {
    return T(v);
  }
}

template <class M, auto P, auto Max> void Put(Num<P, Max>, const M& a, Message* m) {
  m->strings.push_back(std::to_string(ToNum(a.*P)));
}
template <class M, auto P, auto Max> bool Get(Num<P, Max>, Reader* r, M* a) {
  using T = std::remove_reference_t<decltype(a->*P)>;
  const std::string* s;
  uint64_t v;
  // Decimal digits in the one form Put writes ("0", never "00" or "01").
  if (!r->NextString(&s) || !ParseUnsigned(*s, &v) || std::to_string(v) != *s ||
      v > NumMax<T, Max>())
    return false;
  a->*P = FromNum<T>(v);
  return true;
}

template <class M, auto P> void Put(Fd<P>, const M& a, Message* m) { m->fds.push_back(a.*P); }
template <class M, auto P> bool Get(Fd<P>, Reader* r, M* a) {
  if (r->f >= r->m.fds.size()) return false;
  a->*P = r->m.fds[r->f++];
  return true;
}

template <class M, auto P, size_t Min> void Put(Fds<P, Min>, const M& a, Message* m) {
  m->fds.insert(m->fds.end(), (a.*P).begin(), (a.*P).end());
}
template <class M, auto P, size_t Min> bool Get(Fds<P, Min>, Reader* r, M* a) {
  (a->*P).assign(r->m.fds.begin() + long(r->f), r->m.fds.end());
  r->f = r->m.fds.size();
  return (a->*P).size() >= Min && (a->*P).size() <= kMaxMessageFds;
}

// In: each kind on the member (after every other kind, which it calls).
template <class M, auto Outer, class... Kinds>
void Put(In<Outer, Kinds...>, const M& a, Message* m) {
  (Put(Kinds{}, a.*Outer, m), ...);
}
template <class M, auto Outer, class... Kinds> bool Get(In<Outer, Kinds...>, Reader* r, M* a) {
  return (Get(Kinds{}, r, &(a->*Outer)) && ...);
}

template <class M> Message EncodeFields(const M& a) {
  Message m;
  m.type = Wire<M>::kType;
  std::apply([&](auto... kind) { (Put(kind, a, &m), ...); }, typename Wire<M>::Fields{});
  return m;
}

template <class M> bool DecodeFields(const Message& m, M* a) {
  if (m.type != Wire<M>::kType) return false;
  Reader r{m};
  bool ok = std::apply([&](auto... kind) { return (Get(kind, &r, a) && ...); },
                       typename Wire<M>::Fields{});
  return ok && r.s == m.strings.size() && r.f == m.fds.size();
}

}  // namespace

std::string AttachConsole::Put(const AttachMsg& a) { return a.own ? "s" : a.console ? "1" : "0"; }
bool AttachConsole::Get(const std::string& s, AttachMsg* a) {
  a->console = s != "0";
  a->own = s == "s";
  return true;
}

std::string TailFlags::Put(const TailMsg& a) {
  return std::string(a.follow ? "f" : "") + (a.configured ? "" : "t");
}
bool TailFlags::Get(const std::string& s, TailMsg* a) {
  a->follow = s.find('f') != std::string::npos;
  a->configured = s.find('t') == std::string::npos;
  return true;
}

#define STEWARD_LOG_MSG_CODEC(M, ...)                                          \
  Message Encode(const M##Msg& a) { return EncodeFields(a); }                  \
  bool Decode(const Message& m, M##Msg* out) { return DecodeFields(m, out); }
STEWARD_LOG_MESSAGES(STEWARD_LOG_MSG_CODEC)
#undef STEWARD_LOG_MSG_CODEC

}  // namespace steward::log
