// `steward-log`: the forwarder's entry when PID 1 executes steward's own binary again (hub_forwarder.cpp).
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "steward/log/forwarder/forwarder.hpp"
#include "steward/log/protocol.hpp"
#include "steward/util/diag.hpp"

namespace steward::log {

namespace {

// The configuration, as PID 1's first messages on the control socket: it
// sends them as the forwarder starts, so a few seconds are plenty.
bool ReceiveConfig(int control, LogConfig* cfg, std::string* runtime_dir) {
  auto next = [control](Message* m) {
    struct pollfd p = {control, POLLIN, 0};
    std::vector<UniqueFd> fds;
    return poll(&p, 1, 10000) == 1 && ReceiveMessage(control, m, &fds) == 1;
  };
  Message m;
  ConfigMsg c;
  if (!next(&m) || !Decode(m, &c)) return false;
  for (uint32_t i = 0; i < c.sinks; ++i) {
    SinkConfigMsg s;
    if (!next(&m) || !Decode(m, &s)) return false;
    c.log.sinks.push_back(std::move(s.sink));
  }
  SetVerbosity(c.verbosity);
  *cfg = std::move(c.log);
  *runtime_dir = std::move(c.runtime_dir);
  return true;
}

}  // namespace

int ForwarderMain(int argc, char**) {
  // The exec named it after the descriptor it came from.
  prctl(PR_SET_NAME, kForwarderName, 0, 0, 0);
  int type = 0;
  socklen_t len = sizeof type;
  if (argc != 1 || getsockopt(kForwarderControlFd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_SEQPACKET) {
    Error("{} is steward's log forwarder: steward starts it itself, with its control socket on "
          "descriptor {}; it is not a command. Run steward (see steward --help)",
          kForwarderName, kForwarderControlFd);
    return 2;
  }
  LogConfig cfg;
  std::string runtime_dir;
  if (!ReceiveConfig(kForwarderControlFd, &cfg, &runtime_dir)) {
    Error("{}: no configuration from steward on descriptor {}; exiting", kForwarderName,
          kForwarderControlFd);
    return 2;
  }
  return RunForwarder(cfg, runtime_dir, kForwarderControlFd);
}

}  // namespace steward::log
