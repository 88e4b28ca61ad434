// Messages between PID 1's LogHub and the forwarder, over a SOCK_SEQPACKET
// socketpair: one datagram per message, descriptors passed with SCM_RIGHTS.
//
// Only trusted peers speak it (PID 1 and its own child), but the decoder
// still checks every length, so a bug cannot make PID 1 read out of bounds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/util/fd.hpp"

namespace steward::log {

enum class MsgType : uint8_t {
  // hub -> forwarder
  kAttach = 1,  // id; strings: name, prefix, console "0"/"1"/"s" (steward's own lines), sinks ("" = all, else
                // "=" then names); fds: stdout read end, stderr read end, their journals
  kSetPid,      // id, value = pid (0: the process is gone)
  kDetach,      // id: read both pipes to end of file, then reply kDetached
  kSpool,       // strings: sink name; fds: memfd to use as its spool
  kSyslog,      // fds: the bound /dev/log socket
  kStart,       // end of the initial state: start reading
  kDrain,       // value = milliseconds left: drain every pipe, flush, exit
  kWidth,       // value = console name column width (longest expected name)
  kTail,        // `ctl logs`: strings: service, flags ("f" to follow, "t" not a configured
                // service: maybe a syslog tag); value = lines; fds: the client
  // forwarder -> hub
  kDetached,    // id: both pipes of the service reached end of file
  kDropped,     // strings: sink name[, why it cannot deliver, "" when it can];
                // value = total records dropped by it
  // hub -> forwarder: a reload changed [log] (SPEC §4 step 5)
  kHandover,    // value = milliseconds allowed; id = 1: /dev/log moved, empty the old
                // one first; strings: the network sinks the next forwarder keeps
  // both ways: the `ctl logs` state a handing-over forwarder leaves to the
  // next one, through PID 1, which only holds the descriptors
  kRings,       // fds: a memfd with the rings and the followers' state (ring.hpp)
  kTails,       // fds: 1 to 8 `ctl logs` clients, in the order the rings memfd lists them
  // hub -> forwarder, first of all: the configuration it runs with (it is a
  // program of its own, executed afresh, so it inherits none of PID 1's memory)
  kConfig,      // id = verbosity, value = sinks that follow; strings: runtime dir, the [log] settings
  kSinkConfig,  // strings: one [[log.sink]]'s settings, then its services
};

// The forwarder is steward's own binary executed again under this name,
// with the control socket on this descriptor (hub_forwarder.cpp).
inline constexpr char kForwarderName[] = "steward-log";
inline constexpr int kForwarderControlFd = 3;

struct Message {
  MsgType type = MsgType::kStart;
  uint32_t id = 0;
  int64_t value = 0;
  std::vector<std::string> strings;
  std::vector<int> fds;  // sending: borrowed, not closed
  // Descriptors the message itself keeps open until it has been sent or
  // dropped (a `ctl logs` client on its way to the forwarder).
  std::vector<UniqueFd> owned;
};

// ---- the messages: one struct each, Encode and Decode side by side -------
// Encode() gives the wire Message (descriptors borrowed); Decode() is false
// for a message of another type or a malformed one (ignored by the reader).

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
struct SetPidMsg {
  uint32_t id = 0;
  pid_t pid = 0;  // 0: the process is gone
};
struct DetachMsg {
  uint32_t id = 0;
};
struct SpoolMsg {
  std::string sink;
  int fd = -1;
};
struct SyslogMsg {
  int fd = -1;
};
struct StartMsg {};
struct DrainMsg {
  Duration left{};
};
struct WidthMsg {
  int64_t width = 0;
};
// A `ctl logs` client, handed over by PID 1 after checking it: the
// forwarder answers it from the service's ring.
struct TailMsg {
  std::string service;
  int64_t lines = 100;
  bool follow = false;
  int fd = -1;
  // A service of PID 1's configuration (its ring is made if it has none);
  // false: a name only a syslog tag's ring can answer.
  bool configured = true;
};
// A reload changed [log]: stop reading, make every batch safe, store the
// cursors, leave the `ctl logs` state (kRings, kTails) and exit 0 within
// `left`, so that the next forwarder, started with the new configuration,
// neither repeats nor loses a line.
struct HandoverMsg {
  Duration left{};
  bool drain_syslog = false;       // the old /dev/log was unlinked: read it until empty
  std::vector<std::string> kept;   // network sinks (by name) whose spool the next one reuses
};
struct RingsMsg {
  int fd = -1;
};
struct TailsMsg {
  std::vector<int> fds;
};
// forwarder -> hub
struct DetachedMsg {
  uint32_t id = 0;
};
struct DroppedMsg {
  std::string sink;
  uint64_t total = 0;
  // Why the sink cannot deliver now ("" once it can again); nullopt: unchanged.
  std::optional<std::string> problem;
};

// The forwarder's whole configuration, which PID 1 holds and the forwarder
// must see exactly as PID 1 does (never read again from the TOML files,
// which a volume may have changed since): kConfig, then one kSinkConfig
// per sink, in order.
struct ConfigMsg {
  LogConfig log;  // its sinks travel as the kSinkConfig that follow
  std::string runtime_dir;
  int verbosity = 1;
  uint32_t sinks = 0;  // how many kSinkConfig follow (Decode)
};
struct SinkConfigMsg {
  SinkConfig sink;
};

Message Encode(const AttachMsg& a);
Message Encode(const SetPidMsg& a);
Message Encode(const DetachMsg& a);
Message Encode(const SpoolMsg& a);
Message Encode(const SyslogMsg& a);
Message Encode(const StartMsg& a);
Message Encode(const DrainMsg& a);
Message Encode(const WidthMsg& a);
Message Encode(const TailMsg& a);
Message Encode(const DetachedMsg& a);
Message Encode(const DroppedMsg& a);
Message Encode(const HandoverMsg& a);
Message Encode(const RingsMsg& a);
Message Encode(const TailsMsg& a);
Message Encode(const ConfigMsg& a);
Message Encode(const SinkConfigMsg& a);
bool Decode(const Message& m, AttachMsg* out);
bool Decode(const Message& m, SetPidMsg* out);
bool Decode(const Message& m, DetachMsg* out);
bool Decode(const Message& m, SpoolMsg* out);
bool Decode(const Message& m, SyslogMsg* out);
bool Decode(const Message& m, StartMsg* out);
bool Decode(const Message& m, DrainMsg* out);
bool Decode(const Message& m, WidthMsg* out);
bool Decode(const Message& m, TailMsg* out);
bool Decode(const Message& m, DetachedMsg* out);
bool Decode(const Message& m, DroppedMsg* out);
bool Decode(const Message& m, HandoverMsg* out);
bool Decode(const Message& m, RingsMsg* out);
bool Decode(const Message& m, TailsMsg* out);
bool Decode(const Message& m, ConfigMsg* out);
bool Decode(const Message& m, SinkConfigMsg* out);

// Non-blocking. Returns 1 when sent, 0 when the socket is full (try again
// when writable), -1 on error (errno; EPIPE: the peer is gone).
int SendMessage(int sock, const Message& m);

// Non-blocking. Returns 1 with *m filled and the received descriptors owned
// by *fds (m->fds holds their numbers too), 0 when the peer closed, -1 on
// error or when nothing is there (errno EAGAIN), or for a malformed message
// (errno EBADMSG).
int ReceiveMessage(int sock, Message* m, std::vector<UniqueFd>* fds);

}  // namespace steward::log
