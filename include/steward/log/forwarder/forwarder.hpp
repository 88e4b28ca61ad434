// The log forwarder: the child process `steward-log` (SPEC §5). All parsing
// of log data and all network I/O happen here, never in PID 1.
//
// It learns everything from PID 1's LogHub over the control socket (see
// protocol.hpp): each service's pipe read ends and journals, the /dev/log
// socket, memfd spools. For every pipe it splices the bytes into the
// journal, cuts records, hands them to the sinks the service is routed to,
// and moves the journal cursor only once every one of those sinks has made
// them safe (Sink::Flush). A source whose sinks are outstanding is not read,
// which is how backpressure reaches the services. /dev/log datagrams are
// peeked, delivered, and only then taken off the socket.
//
// Owns every descriptor it received; PID 1 holds its own copies, so that a
// killed forwarder loses nothing (docs/LOGGING.md).
#pragma once

#include <string>

#include "steward/config/config.hpp"

namespace steward::log {

// Runs the forwarder's event loop in the current (child) process until PID 1
// asks it to drain and everything is delivered, or the deadline passes.
// Returns the process exit status.
int RunForwarder(const LogConfig& cfg, const std::string& runtime_dir, int control_fd);

// main() of `steward-log`, the name under which PID 1 executes steward's own
// binary again as the forwarder (hub_forwarder.cpp): the control socket on
// descriptor 3, whose first messages are the configuration (kConfig, then
// its kSinkConfig). Typed by hand (no such socket), it says what it is and
// returns 2.
int ForwarderMain(int argc, char** argv);

}  // namespace steward::log
