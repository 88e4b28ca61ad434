// The kinds of field a hub <-> forwarder message is made of (protocol.hpp
// declares each message as a row of these). A kind says where a struct
// member goes in the wire Message and what Decode accepts there; the code
// for each is in protocol.cpp (Put/Get), the sample values the round-trip
// test gives it in tests/log/protocol_test.cpp.
//
// Fields take the message's strings and descriptors in row order; Decode
// rejects a message with any left over or missing.
#pragma once

#include <cstddef>
#include <tuple>

namespace steward::log {

// At most this many descriptors travel in one message.
constexpr size_t kMaxMessageFds = 8;

enum class Sign { kAny, kNotNegative };

// P: a pointer to the message's member.
template <auto P> struct Id {};                          // the id number (unsigned)
template <auto P> struct Flag {};                        // the id number, 0 or 1 (a bool)
template <auto P, Sign S = Sign::kAny> struct Value {};  // the value number (integer or Duration)
template <auto P> struct Str {};                         // one string
template <auto P> struct OptStr {};                      // optional<string>: a last string if any
template <auto P> struct Strs {};                        // vector<string>: all the strings left
template <auto P> struct OptStrs {};  // optional<vector<string>>: "" or "=" then the rest
template <class Codec> struct Text {};  // one string, Codec::Put/Get (Codec::kWire: every form)
template <auto P> struct Fd {};               // one descriptor
template <auto P, size_t Min> struct Fds {};  // vector<int>: the descriptors left, Min..8

// Wire<M>::kType and Wire<M>::Fields (a std::tuple of the kinds above), for
// every message of STEWARD_LOG_MESSAGES.
template <class M> struct Wire;

}  // namespace steward::log
