// Messages between PID 1's LogHub and the forwarder, over a SOCK_SEQPACKET
// socketpair: one datagram per message, descriptors passed with SCM_RIGHTS.
//
// Only trusted peers speak it (PID 1 and its own child), but the decoder
// still checks every length, so a bug cannot make PID 1 read out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "steward/util/fd.hpp"

namespace steward::log {

enum class MsgType : uint8_t {
  // hub -> forwarder
  kAttach = 1,  // id; strings: name, prefix, console "0"/"1", sinks ("" = all, else
                // "=" then names); fds: stdout read end, stderr read end, their journals
  kSetPid,      // id, value = pid (0: the process is gone)
  kDetach,      // id: read both pipes to end of file, then reply kDetached
  kSpool,       // strings: sink name; fds: memfd to use as its spool
  kSyslog,      // fds: the bound /dev/log socket
  kStart,       // end of the initial state: start reading
  kDrain,       // value = milliseconds left: drain every pipe, flush, exit
  kWidth,       // value = console name column width (longest expected name)
  // forwarder -> hub
  kDetached,    // id: both pipes of the service reached end of file
  kDropped,     // strings: sink name[, why it cannot deliver, "" when it can];
                // value = total records dropped by it
};

struct Message {
  MsgType type = MsgType::kStart;
  uint32_t id = 0;
  int64_t value = 0;
  std::vector<std::string> strings;
  std::vector<int> fds;  // sending: borrowed, not closed
};

// Non-blocking. Returns 1 when sent, 0 when the socket is full (try again
// when writable), -1 on error (errno; EPIPE: the peer is gone).
int SendMessage(int sock, const Message& m);

// Non-blocking. Returns 1 with *m filled and the received descriptors owned
// by *fds (m->fds holds their numbers too), 0 when the peer closed, -1 on
// error or when nothing is there (errno EAGAIN), or for a malformed message
// (errno EBADMSG).
int ReceiveMessage(int sock, Message* m, std::vector<UniqueFd>* fds);

}  // namespace steward::log
