// What PID 1 does for each `steward ctl` verb (SPEC §6): the other half of
// the verb table (control/control.hpp has the names, usage and arguments).
//
// A ControlContext holds what the verbs act on: the Supervisor, PID 1's
// policy (status, start/stop/restart, signal, reload, health, shutdown,
// graph), and the log hub (each sink's drops and problem for `ctl status`,
// and `ctl logs`, whose client the forwarder answers). The Supervisor thus
// relays nothing for the log hub and touches no socket: answers go back
// through ControlDone, and a connection changes hands only here, to the hub.
// The ControlServer (control_server.hpp) owns the connections and calls
// Run() for each parsed request.
#pragma once

#include <functional>

#include "steward/control/control.hpp"
#include "steward/util/fd.hpp"

namespace steward {

class Supervisor;
namespace log {
class LogHub;
}

// Takes the client's connection away from the control server, which then
// forgets it; an empty descriptor when the client is gone.
using ControlTake = std::function<UniqueFd()>;

class ControlContext {
 public:
  // logs: null without a log pipeline (wrapper mode).
  ControlContext(Supervisor* sup, log::LogHub* logs) : sup_(sup), logs_(logs) {}

  // Answers a parsed request through done(), or hands the client's
  // connection on with take() (`logs`).
  void Run(const CtlRequest& req, ControlDone done, const ControlTake& take);

 private:
  using Handler = void (ControlContext::*)(const CtlRequest& req, ControlDone& done,
                                           const ControlTake& take);
  struct Row {
    CtlRequest::Verb verb;
    Handler run;
  };
  static const Row kHandlers[];

  void Status(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Start(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Stop(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Restart(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Signal(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Reload(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Health(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Shutdown(const CtlRequest& req, ControlDone& done, const ControlTake&);
  void Logs(const CtlRequest& req, ControlDone& done, const ControlTake& take);
  void Graph(const CtlRequest& req, ControlDone& done, const ControlTake&);

  Supervisor* sup_;
  log::LogHub* logs_;
};

}  // namespace steward
