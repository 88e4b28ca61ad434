// The hub <-> forwarder messages, generated from their one declaration
// (STEWARD_LOG_MESSAGES): every message round-trips through the socket with
// every field intact, decodes as no other message, and is bounded (a
// string or descriptor too many or too few, a number out of its range or
// not in its one form, is rejected).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <iterator>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "steward/log/protocol.hpp"

namespace steward::log {
namespace {

struct Pair {
  Pair() {
    int sv[2];
    EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
    a.Reset(sv[0]);
    b.Reset(sv[1]);
  }
  UniqueFd a, b;
};

// ---- every message of the table, generated from STEWARD_LOG_MESSAGES ---------
// Each kind of field gets sample values (variant k of 4; f, the field's
// place, keeps two fields of a kind apart) and a comparison; a message
// added to the table is tested here without a line of its own.

constexpr int kVariants = 4;

struct Pool {  // descriptors for Fd fields: distinct open files
  Pool() {
    for (int i = 0; i < 5; ++i) {
      int fds[2];
      EXPECT_EQ(0, pipe2(fds, O_CLOEXEC));
      ends.emplace_back(fds[0]);
      ends.emplace_back(fds[1]);
    }
  }
  int Get(int k) const { return ends[size_t(k) % ends.size()].get(); }
  std::vector<UniqueFd> ends;
};

bool SameFile(int a, int b) {  // received descriptors have other numbers
  struct stat x, y;
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

template <class M, auto P, uint32_t Max> void Vary(Id<P, Max>, M* a, int k, int, const Pool&) {
  using T = std::remove_reference_t<decltype(a->*P)>;
  a->*P = T(std::min(uint32_t(7 + k), Max));
}
template <class M, auto P> void Vary(Flag<P>, M* a, int k, int, const Pool&) { a->*P = k % 2 == 1; }
template <class M, auto P, Sign S, int64_t Max>
void Vary(Value<P, S, Max>, M* a, int k, int, const Pool&) {
  int64_t v = k == 3 ? int64_t(1) << 40 : 1500 * k + 3;
  if (v > Max) v = Max - k;
  if (S == Sign::kAny && k == 2) v = -v;
  using T = std::remove_reference_t<decltype(a->*P)>;
  if constexpr (std::is_same_v<T, Duration>) {
    a->*P = Duration(v);
  } else {
    a->*P = T(v);
  }
}
template <class M, auto P> void Vary(Str<P>, M* a, int k, int f, const Pool&) {
  a->*P = k == 0 ? "" : "s" + std::to_string(f) + "." + std::to_string(k);
}
template <class M, auto P> void Vary(OptStr<P>, M* a, int k, int, const Pool&) {
  if (k == 0) a->*P = std::nullopt;
  else a->*P = k == 2 ? "" : "why " + std::to_string(k);
}
template <class M, auto P> void Vary(Strs<P>, M* a, int k, int, const Pool&) {
  a->*P = std::vector<std::string>(size_t(k), "kept");
  if (k > 0) (a->*P)[0] = "";
}
template <class M, auto P> void Vary(OptStrs<P>, M* a, int k, int, const Pool&) {
  if (k == 0) a->*P = std::nullopt;
  else a->*P = std::vector<std::string>(size_t(k - 1), "sink");
}
template <class M, class Codec> void Vary(Text<Codec>, M* a, int k, int, const Pool&) {
  constexpr size_t n = std::size(Codec::kWire);
  std::string wire = Codec::kWire[size_t(k) % n];
  ASSERT_TRUE(Codec::Get(wire, a)) << wire;
  EXPECT_EQ(wire, Codec::Put(*a));  // every form decodes to a value sent as that form
}
// Num: 0, small, large and the largest (its type's, or its enum's last
// value); a small range (bools, enums) is walked from a place of its own.
template <class M, auto P, auto Max> void Vary(Num<P, Max>, M* a, int k, int f, const Pool&) {
  using T = std::remove_reference_t<decltype(a->*P)>;
  constexpr uint64_t max = NumMax<T, Max>();
  uint64_t v = k == 0 ? 0 : k == 1 ? uint64_t(7 + f) : k == 2 ? uint64_t(1000 * (f + 1)) : max;
  if constexpr (max < 16) v = uint64_t(k + f) % (max + 1);
  if constexpr (std::is_same_v<T, Duration>) {
    a->*P = Duration(int64_t(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    a->*P = v == 1;
  } else {
    a->*P = T(v);
  }
}
template <class M, auto P> void Vary(Fd<P>, M* a, int k, int, const Pool& pool) {
  a->*P = pool.Get(k);
}
template <class M, auto P, size_t Min> void Vary(Fds<P, Min>, M* a, int k, int, const Pool& pool) {
  (a->*P).clear();
  size_t n = std::min(Min + size_t(k) * 3, kMaxMessageFds);
  for (size_t i = 0; i < n; ++i) (a->*P).push_back(pool.Get(k + int(i)));
}

template <class M, class K> bool Same(K, const M& a, const M& b);
template <class M, class Codec> bool Same(Text<Codec>, const M& a, const M& b) {
  return Codec::Put(a) == Codec::Put(b);
}
template <class M, auto P> bool Same(Fd<P>, const M& a, const M& b) { return SameFile(a.*P, b.*P); }
template <class M, auto P, size_t Min> bool Same(Fds<P, Min>, const M& a, const M& b) {
  if ((a.*P).size() != (b.*P).size()) return false;
  for (size_t i = 0; i < (a.*P).size(); ++i) {
    if (!SameFile((a.*P)[i], (b.*P)[i])) return false;
  }
  return true;
}
template <class M, template <auto...> class Kind, auto P, auto... Rest>
bool Same(Kind<P, Rest...>, const M& a, const M& b) { return a.*P == b.*P; }

// In<outer, kind>: the kind on the member (FlatFields gives each its own).
template <class M, auto O, class K> void Vary(In<O, K>, M* a, int k, int f, const Pool& pool) {
  Vary(K{}, &(a->*O), k, f, pool);
}
template <class M, auto O, class K> bool Same(In<O, K>, const M& a, const M& b) {
  return Same(K{}, a.*O, b.*O);
}
template <class K> struct Flat { using Type = std::tuple<K>; };
template <auto O, class... K> struct Flat<In<O, K...>> { using Type = std::tuple<In<O, K>...>; };
template <class Fields> struct Flatten;
template <class... K> struct Flatten<std::tuple<K...>> {
  using Type = decltype(std::tuple_cat(std::declval<typename Flat<K>::Type>()...));
};
template <class M> using FlatFields = typename Flatten<typename Wire<M>::Fields>::Type;

// Which strings and descriptors a message's fields must have, may add.
template <class K> constexpr bool kTakesRestStrings = false;
template <auto P> constexpr bool kTakesRestStrings<Strs<P>> = true;
template <auto P> constexpr bool kTakesRestStrings<OptStrs<P>> = true;
template <auto P> constexpr bool kTakesRestStrings<OptStr<P>> = true;
template <class K> constexpr bool kTakesRestFds = false;
template <auto P, size_t Min> constexpr bool kTakesRestFds<Fds<P, Min>> = true;
template <class K> constexpr bool kNeedsString = false;
template <auto P> constexpr bool kNeedsString<Str<P>> = true;
template <auto P> constexpr bool kNeedsString<OptStrs<P>> = true;
template <class C> constexpr bool kNeedsString<Text<C>> = true;
template <auto P, auto Max> constexpr bool kNeedsString<Num<P, Max>> = true;
template <class K> constexpr bool kNeedsFd = false;
template <auto P> constexpr bool kNeedsFd<Fd<P>> = true;
template <auto P, size_t Min> constexpr bool kNeedsFd<Fds<P, Min>> = Min > 0;
template <class K> constexpr bool kOneString = kNeedsString<K> && !kTakesRestStrings<K>;
template <auto O, class K> constexpr bool kTakesRestStrings<In<O, K>> = kTakesRestStrings<K>;
template <auto O, class K> constexpr bool kNeedsString<In<O, K>> = kNeedsString<K>;
template <auto O, class K> constexpr bool kOneString<In<O, K>> = kOneString<K>;
template <auto O, class K> constexpr bool kTakesRestFds<In<O, K>> = kTakesRestFds<K>;
template <auto O, class K> constexpr bool kNeedsFd<In<O, K>> = kNeedsFd<K>;

template <class Fields, class Pred> bool Any(Pred pred) {
  return std::apply([&](auto... kind) { return (pred(kind) || ...); }, Fields{});
}

template <class... M> struct MessageList {};
#define STEWARD_TEST_MSG(M, ...) M##Msg,
using AllMessages = MessageList<STEWARD_LOG_MESSAGES(STEWARD_TEST_MSG) void>;
#undef STEWARD_TEST_MSG

template <class M> bool DecodesAs(const Message& m) {
  if constexpr (std::is_void_v<M>) {
    return false;
  } else {
    M out;
    return Decode(m, &out);
  }
}
template <class... All> int DecodingTypes(const Message& m, MessageList<All...>) {
  return (int(DecodesAs<All>(m)) + ...);
}

Message Copy(const Message& m) {  // without the owned descriptors (Encode gives none)
  Message c;
  c.type = m.type;
  c.id = m.id;
  c.value = m.value;
  c.strings = m.strings;
  c.fds = m.fds;
  return c;
}

// Each kind's malformed wire: reject() gets the message with one thing
// wrong (`at`: the field's string, for the kinds of one string).
template <class K, class R> void Break(K, const Message&, size_t, R) {}
template <auto P, uint32_t Max, class R>
void Break(Id<P, Max>, const Message& m, size_t, R reject) {
  if constexpr (Max < UINT32_MAX) {
    Message bad = Copy(m);
    bad.id = Max + 1;
    reject(bad, "an id above its max");
  }
}
template <auto P, class R> void Break(Flag<P>, const Message& m, size_t, R reject) {
  Message bad = Copy(m);
  bad.id = 2;
  reject(bad, "a flag of 2");
}
template <auto P, Sign S, int64_t Max, class R>
void Break(Value<P, S, Max>, const Message& m, size_t, R reject) {
  Message bad = Copy(m);
  if constexpr (Max < INT64_MAX) {
    bad.value = Max + 1;
    reject(bad, "a value above its max");
  }
  if constexpr (S == Sign::kNotNegative) {
    bad.value = -1;
    reject(bad, "a negative value");
  }
}
template <class C, class T> T MemberType(T C::*);
template <auto P, auto Max, class R>
void Break(Num<P, Max>, const Message& m, size_t at, R reject) {
  constexpr uint64_t max = NumMax<decltype(MemberType(P)), Max>();
  std::string above = max == UINT64_MAX ? "18446744073709551616" : std::to_string(max + 1);
  for (const std::string& text : {std::string(), std::string("x"), std::string("-1"),
                                  std::string("+1"), std::string(" 1"), std::string("1 "),
                                  std::string("01"), std::string("1x"), above}) {
    Message bad = Copy(m);
    bad.strings.at(at) = text;
    reject(bad, "the text \"" + text + "\"");
  }
}
template <auto O, class K, class R> void Break(In<O, K>, const Message& m, size_t at, R reject) {
  Break(K{}, m, at, reject);
}

template <class M> void CheckMessage(const Pair& p, const Pool& pool) {
  using Fields = FlatFields<M>;
  const char* name = typeid(M).name();
  for (int k = 0; k < kVariants; ++k) {
    M in;
    std::apply([&](auto... kind) {
      int f = 0;
      (Vary(kind, &in, k, f++, pool), ...);
    }, Fields{});
    Message m = Encode(in);
    EXPECT_EQ(Wire<M>::kType, m.type) << name;
    ASSERT_EQ(1, SendMessage(p.a.get(), m)) << name << " variant " << k;
    Message got;
    std::vector<UniqueFd> owned;
    ASSERT_EQ(1, ReceiveMessage(p.b.get(), &got, &owned)) << name;
    M out;
    ASSERT_TRUE(Decode(got, &out)) << name << " variant " << k;
    std::apply([&](auto... kind) {
      int field = 0;
      [[maybe_unused]] auto check = [&](bool same) {
        EXPECT_TRUE(same) << name << " field " << field++ << " variant " << k;
      };
      (check(Same(kind, in, out)), ...);
    }, Fields{});
    EXPECT_EQ(1, DecodingTypes(got, AllMessages{})) << name << ": decodes as another message too";

    // Bounds: a string or descriptor more than the fields take, or none
    // where they need one, is rejected.
    Message bad = Copy(m);
    bad.strings.push_back("extra");
    if (!Any<Fields>([](auto kind) { return kTakesRestStrings<decltype(kind)>; })) {
      EXPECT_FALSE(Decode(bad, &out)) << name << ": a string too many";
    }
    bad = Copy(m);
    bad.fds.push_back(pool.Get(0));
    if (!Any<Fields>([](auto kind) { return kTakesRestFds<decltype(kind)>; }) ||
        m.fds.size() == kMaxMessageFds) {
      EXPECT_FALSE(Decode(bad, &out)) << name << ": an fd too many";
    }
    bad = Copy(m);
    bad.strings.clear();
    if (Any<Fields>([](auto kind) { return kNeedsString<decltype(kind)>; })) {
      EXPECT_FALSE(Decode(bad, &out)) << name << ": no strings";
    }
    bad = Copy(m);
    bad.fds.clear();
    if (Any<Fields>([](auto kind) { return kNeedsFd<decltype(kind)>; })) {
      EXPECT_FALSE(Decode(bad, &out)) << name << ": no descriptors";
    }
    size_t fixed = std::apply(
        [](auto... kind) { return (size_t(kOneString<decltype(kind)>) + ... + 0); }, Fields{});
    if (fixed > 0) {
      bad = Copy(m);
      bad.strings.resize(fixed - 1);
      EXPECT_FALSE(Decode(bad, &out)) << name << ": a string too few";
    }

    // Each field's own bounds.
    std::apply([&](auto... kind) {
      size_t at = 0;
      int field = 0;
      [[maybe_unused]] auto each = [&](auto kind) {
        Break(kind, m, at, [&](const Message& wrong, const std::string& what) {
          EXPECT_FALSE(Decode(wrong, &out)) << name << " field " << field << ": " << what;
        });
        at += kOneString<decltype(kind)> ? 1 : 0;
        ++field;
      };
      (each(kind), ...);
    }, Fields{});
  }
}

TEST(LogProtocol, EveryMessageOfTheTableRoundTripsAndIsBounded) {
  Pair p;
  Pool pool;
#define STEWARD_TEST_MSG(M, ...) CheckMessage<M##Msg>(p, pool);
  STEWARD_LOG_MESSAGES(STEWARD_TEST_MSG)
#undef STEWARD_TEST_MSG
}

// The existing wire, byte for byte: PID 1 and a forwarder of the same
// binary agree anyway, but the layout of each field stays as documented.
TEST(LogProtocol, TheWireLayoutOfTheFields) {
  AttachMsg a;
  a.id = 9;
  a.name = "web";
  a.own = true;
  a.sinks = std::vector<std::string>{"central"};
  Message m = Encode(a);
  EXPECT_EQ(MsgType(1), m.type);
  EXPECT_EQ((std::vector<std::string>{"web", "", "s", "=", "central"}), m.strings);
  m = Encode(TailMsg{"db", 5, true, 3, false});
  EXPECT_EQ(MsgType(9), m.type);
  EXPECT_EQ((std::vector<std::string>{"db", "ft"}), m.strings);
  EXPECT_EQ(5, m.value);
  EXPECT_EQ(std::vector<int>{3}, m.fds);
  m = Encode(HandoverMsg{Duration(20), true, {"a"}});
  EXPECT_EQ(MsgType(12), m.type);
  EXPECT_EQ(1u, m.id);
  EXPECT_EQ(20, m.value);
  EXPECT_EQ(MsgType(14), Encode(TailsMsg{{1}}).type);
}

}  // namespace
}  // namespace steward::log
