// Messages between PID 1's LogHub and the forwarder, over a SOCK_SEQPACKET
// socketpair: one datagram per message, descriptors passed with SCM_RIGHTS.
//
// Only trusted peers speak it (PID 1 and its own child), but the decoder
// still checks every length, so a bug cannot make PID 1 read out of bounds,
// and it rejects a message with a string or descriptor more or fewer than
// its fields take (the forwarder parses hostile input: PID 1 trusts nothing
// it sends beyond these bounds).
//
// Every message is declared once, as a row of STEWARD_LOG_MESSAGES below:
// its name (the struct is NameMsg), then its fields in wire order, each
// with its kind (wire_fields.hpp). That row gives MsgType::kName, Encode(),
// Decode() and the round-trip and bounds test
// (tests/log/protocol_table_test.cpp iterates the same table).
//
// To add a message: write its struct here (fields with comments), then add
// one row at the END of STEWARD_LOG_MESSAGES (a row's position is its
// MsgType number on the wire); the reader's switch on MsgType
// (forwarder.cpp; -Wswitch) then asks for its case. If no kind in
// wire_fields.hpp fits a field, add one there, its Put/Get in protocol.cpp
// and its sample values (Vary, Same) and malformed wire (Break) in
// protocol_table_test.cpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/log/wire_fields.hpp"
#include "steward/util/fd.hpp"

namespace steward::log {

// The wire: a type, two numbers, strings and descriptors, which each
// message's fields are put into (wire_fields.hpp says how).
enum class MsgType : uint8_t;
struct Message {
  MsgType type{};  // 0: none until set
  uint32_t id = 0;
  int64_t value = 0;
  std::vector<std::string> strings;
  std::vector<int> fds;  // sending: borrowed, not closed
  // Descriptors the message itself keeps open until it has been sent or
  // dropped (a `ctl logs` client on its way to the forwarder).
  std::vector<UniqueFd> owned;
};

// ---- the messages ------------------------------------------------------------

// hub -> forwarder: a service's log pipes and how to route them.
struct AttachMsg {
  uint32_t id = 0;
  std::string name, prefix;
  bool console = true;
  // steward's own lines (`steward: LEVEL: text`), not a service's: records
  // of service "steward" with the level as severity, on the console's stderr.
  bool own = false;
  std::optional<std::vector<std::string>> sinks;  // only these; nullopt: by glob
  std::vector<int> fds;  // none (a routing update) or: stdout, stderr, their journals
};
// hub -> forwarder: the service's process (0: the process is gone).
struct SetPidMsg {
  uint32_t id = 0;
  pid_t pid = 0;
};
// hub -> forwarder: read both pipes to end of file, then reply DetachedMsg.
struct DetachMsg {
  uint32_t id = 0;
};
// hub -> forwarder: the memfd a network sink uses as its spool.
struct SpoolMsg {
  std::string sink;
  int fd = -1;
};
// hub -> forwarder: the bound /dev/log socket.
struct SyslogMsg {
  int fd = -1;
};
// hub -> forwarder: end of the initial state: start reading.
struct StartMsg {};
// hub -> forwarder: drain every pipe, flush, exit within `left`.
struct DrainMsg {
  Duration left{};  // may be negative: the deadline has passed
};
// hub -> forwarder: the console's name column width (longest expected name).
struct WidthMsg {
  int64_t width = 0;
};
// hub -> forwarder: a `ctl logs` client, handed over by PID 1 after
// checking it: the forwarder answers it from the service's ring.
struct TailMsg {
  std::string service;
  int64_t lines = 100;
  bool follow = false;
  int fd = -1;
  // A service of PID 1's configuration (its ring is made if it has none);
  // false: a name only a syslog tag's ring can answer.
  bool configured = true;
};
// forwarder -> hub: both pipes of the service reached end of file.
struct DetachedMsg {
  uint32_t id = 0;
};
// forwarder -> hub: a sink's drop count and trouble.
struct DroppedMsg {
  std::string sink;
  uint64_t total = 0;  // records dropped by it so far
  // Why the sink cannot deliver now ("" once it can again); nullopt: unchanged.
  std::optional<std::string> problem;
};
// hub -> forwarder: a reload changed [log] (SPEC §4 step 5): stop reading,
// make every batch safe, store the cursors, leave the `ctl logs` state
// (RingsMsg, TailsMsg) and exit 0 within `left`, so that the next
// forwarder, started with the new configuration, neither repeats nor loses
// a line.
struct HandoverMsg {
  Duration left{};
  bool drain_syslog = false;       // the old /dev/log was unlinked: read it until empty
  std::vector<std::string> kept;   // network sinks (by name) whose spool the next one reuses
};
// Both ways: the `ctl logs` state a handing-over forwarder leaves to the
// next one, through PID 1, which only holds the descriptors.
struct RingsMsg {
  int fd = -1;  // a memfd with the rings and the followers' state (ring.hpp)
};
struct TailsMsg {
  std::vector<int> fds;  // 1 to 8 `ctl logs` clients, in the order the rings memfd lists them
};

// hub -> forwarder, first of all: the configuration the forwarder runs
// with. It is a program of its own, executed afresh, so it inherits none of
// PID 1's memory, and it must see the configuration exactly as PID 1 does
// (never read again from the TOML files, which a volume may have changed
// since): ConfigMsg, then one SinkConfigMsg per sink, in order.
struct ConfigMsg {
  LogConfig log;  // its sinks travel as the SinkConfigMsg that follow
  std::string runtime_dir;
  int verbosity = 1;
  uint32_t sinks = 0;  // how many SinkConfigMsg follow: log.sinks.size()
};
struct SinkConfigMsg {
  SinkConfig sink;
};

// Fields sent as one string in a form of their own (Text<Codec>): kWire
// lists every text a field's values are sent as.
struct AttachConsole {  // console, own: "0" off, "1" on, "s" steward's own lines (on)
  static std::string Put(const AttachMsg& a);
  static bool Get(const std::string& s, AttachMsg* a);
  static constexpr const char* kWire[] = {"0", "1", "s"};
};
struct TailFlags {  // "f": follow, "t": not configured (maybe a syslog tag)
  static std::string Put(const TailMsg& a);
  static bool Get(const std::string& s, TailMsg* a);
  static constexpr const char* kWire[] = {"", "f", "t", "ft"};
};

// ---- the table: X(name, fields in wire order...); the struct is nameMsg -----
// Kinds (wire_fields.hpp): Id/Flag (the id number, at most max / 0 or 1),
// Value (the value number, kNotNegative: 0..max), Str/OptStr/Strs/OptStrs
// (one string, an optional last one, all the rest, a "="-marked optional
// rest), Text<Codec> (one string in a field-specific form), Num (one string:
// a number, bool, Duration or enum as decimal text, at most max and what its
// type holds), Fd/Fds<min> (one descriptor, all the rest: min..8),
// In<member, kinds...> (kinds of a member's members: the configuration).
#define STEWARD_LOG_MESSAGES(X)                                                                   \
  X(Attach, Id<&AttachMsg::id>, Str<&AttachMsg::name>, Str<&AttachMsg::prefix>,                  \
    Text<AttachConsole>, OptStrs<&AttachMsg::sinks>, Fds<&AttachMsg::fds, 0>)                     \
  X(SetPid, Id<&SetPidMsg::id>, Value<&SetPidMsg::pid>)                                           \
  X(Detach, Id<&DetachMsg::id>)                                                                   \
  X(Spool, Str<&SpoolMsg::sink>, Fd<&SpoolMsg::fd>)                                               \
  X(Syslog, Fd<&SyslogMsg::fd>)                                                                   \
  X(Start)                                                                                        \
  X(Drain, Value<&DrainMsg::left>)                                                                \
  X(Width, Value<&WidthMsg::width>)                                                               \
  X(Tail, Str<&TailMsg::service>, Text<TailFlags>, Value<&TailMsg::lines, Sign::kNotNegative>,    \
    Fd<&TailMsg::fd>)                                                                             \
  X(Detached, Id<&DetachedMsg::id>)                                                               \
  X(Dropped, Str<&DroppedMsg::sink>, Value<&DroppedMsg::total>, OptStr<&DroppedMsg::problem>)     \
  X(Handover, Value<&HandoverMsg::left, Sign::kNotNegative>, Flag<&HandoverMsg::drain_syslog>,    \
    Strs<&HandoverMsg::kept>)                                                                     \
  X(Rings, Fd<&RingsMsg::fd>)                                                                     \
  X(Tails, Fds<&TailsMsg::fds, 1>)                                                                \
  X(Config, Id<&ConfigMsg::verbosity, 16>, Value<&ConfigMsg::sinks, Sign::kNotNegative, 1024>,    \
    Str<&ConfigMsg::runtime_dir>,                                                                 \
    In<&ConfigMsg::log, Num<&LogConfig::console, LogConfig::Console::kOff>,                       \
       Num<&LogConfig::console_drop_oldest>, Num<&LogConfig::max_line>,                           \
       Num<&LogConfig::partial_flush>, Num<&LogConfig::ring>, Str<&LogConfig::syslog_socket>>)    \
  X(SinkConfig,                                                                                   \
    In<&SinkConfigMsg::sink, Str<&SinkConfig::name>,                                              \
       Num<&SinkConfig::type, SinkConfig::Type::kRelp>, Str<&SinkConfig::url>,                    \
       Num<&SinkConfig::octet_counting>, Num<&SinkConfig::rfc3164>, Num<&SinkConfig::facility>,   \
       Str<&SinkConfig::hostname>, Num<&SinkConfig::buffer>, Num<&SinkConfig::overflow_block>,    \
       Str<&SinkConfig::path>, Num<&SinkConfig::rotate_size>, Num<&SinkConfig::keep>,             \
       Num<&SinkConfig::window>, Str<&SinkConfig::tls_ca>, Str<&SinkConfig::tls_cert>,            \
       Str<&SinkConfig::tls_key>, Str<&SinkConfig::tls_server_name>, Num<&SinkConfig::tls_verify>, \
       Strs<&SinkConfig::services>>)

// The configuration rows carry every member of SinkConfig and LogConfig
// (LogConfig::sinks as the SinkConfigMsg that follow), or the forwarder
// would run with a default where PID 1 has a setting.
static_assert(sizeof(void*) != 8 || (sizeof(SinkConfig) == 336 && sizeof(LogConfig) == 88),
              "SinkConfig or LogConfig changed: add the new field to the SinkConfig or Config "
              "row of STEWARD_LOG_MESSAGES (then set the sizes here)");

// MsgType: k + the row's name, numbered from 1 in table order (0 is no message).
namespace wire_index {
#define STEWARD_LOG_MSG_INDEX(M, ...) k##M,
enum Index { STEWARD_LOG_MESSAGES(STEWARD_LOG_MSG_INDEX) };
#undef STEWARD_LOG_MSG_INDEX
}  // namespace wire_index
#define STEWARD_LOG_MSG_ENUM(M, ...) k##M = wire_index::k##M + 1,
enum class MsgType : uint8_t {
  STEWARD_LOG_MESSAGES(STEWARD_LOG_MSG_ENUM)
};
#undef STEWARD_LOG_MSG_ENUM

// The forwarder is steward's own binary executed again under this name,
// with the control socket on this descriptor (hub_forwarder.cpp).
inline constexpr char kForwarderName[] = "steward-log";
inline constexpr int kForwarderControlFd = 3;

// Wire<M>: the message's type and fields (a std::tuple of kinds).
#define STEWARD_LOG_MSG_WIRE(M, ...)                    \
  template <>                                          \
  struct Wire<M##Msg> {                                \
    static constexpr MsgType kType = MsgType::k##M;    \
    using Fields = std::tuple<__VA_ARGS__>;            \
  };
STEWARD_LOG_MESSAGES(STEWARD_LOG_MSG_WIRE)
#undef STEWARD_LOG_MSG_WIRE

// Encode() gives the wire Message (descriptors borrowed); Decode() is false
// for a message of another type or a malformed one (ignored by the reader).
#define STEWARD_LOG_MSG_CODEC(M, ...) \
  Message Encode(const M##Msg& a);    \
  bool Decode(const Message& m, M##Msg* out);
STEWARD_LOG_MESSAGES(STEWARD_LOG_MSG_CODEC)
#undef STEWARD_LOG_MSG_CODEC

// Non-blocking. Returns 1 when sent, 0 when the socket is full (try again
// when writable), -1 on error (errno; EPIPE: the peer is gone).
int SendMessage(int sock, const Message& m);

// Non-blocking. Returns 1 with *m filled and the received descriptors owned
// by *fds (m->fds holds their numbers too), 0 when the peer closed, -1 on
// error or when nothing is there (errno EAGAIN), or for a malformed message
// (errno EBADMSG).
int ReceiveMessage(int sock, Message* m, std::vector<UniqueFd>* fds);

}  // namespace steward::log
