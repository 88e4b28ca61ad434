// The kinds of field a hub <-> forwarder message is made of (protocol.hpp
// declares each message as a row of these). A kind says where a struct
// member goes in the wire Message and what Decode accepts there; the code
// for each is in protocol.cpp (Put/Get), the sample values and the
// malformed wire the round-trip test gives it in
// tests/log/protocol_table_test.cpp.
//
// Fields take the message's strings and descriptors in row order; Decode
// rejects a message with any left over or missing.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>

namespace steward::log {

// At most this many descriptors travel in one message.
constexpr size_t kMaxMessageFds = 8;

enum class Sign { kAny, kNotNegative };

// P: a pointer to the message's member (or, inside In, to the member's).
template <auto P, uint32_t Max = UINT32_MAX> struct Id {};  // the id number, 0..Max
template <auto P> struct Flag {};                           // the id number, 0 or 1 (a bool)
// The value number (integer or Duration); kNotNegative: 0..Max.
template <auto P, Sign S = Sign::kAny, int64_t Max = INT64_MAX> struct Value {};
template <auto P> struct Str {};                         // one string
template <auto P> struct OptStr {};                      // optional<string>: a last string if any
template <auto P> struct Strs {};                        // vector<string>: all the strings left
template <auto P> struct OptStrs {};  // optional<vector<string>>: "" or "=" then the rest
template <class Codec> struct Text {};  // one string, Codec::Put/Get (Codec::kWire: every form)
// One string: the decimal text of an unsigned integer, a bool ("0", "1"),
// a Duration (ms) or an enum, in its one form (no sign, no leading zero),
// at most Max and what the member's type holds; an enum names its last
// value as Max.
template <auto P, auto Max = UINT64_MAX> struct Num {};
// Num's bound for a member of type T: Max, and what T holds.
template <class T, auto Max> constexpr uint64_t NumMax() {
  uint64_t type_max = UINT64_MAX;
  if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    type_max = uint64_t(std::numeric_limits<std::chrono::milliseconds::rep>::max());
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(std::is_same_v<decltype(Max), T>, "a Num of an enum names its last value as Max");
  } else {
    type_max = uint64_t(std::numeric_limits<T>::max());  // bool: 1
  }
  return std::min(type_max, uint64_t(Max));
}
template <auto P> struct Fd {};               // one descriptor
template <auto P, size_t Min> struct Fds {};  // vector<int>: the descriptors left, Min..8
// Kinds of the member Outer's own members (a configuration struct carried whole).
template <auto Outer, class... Kinds> struct In {};

// Wire<M>::kType and Wire<M>::Fields (a std::tuple of the kinds above), for
// every message of STEWARD_LOG_MESSAGES.
template <class M> struct Wire;

}  // namespace steward::log
