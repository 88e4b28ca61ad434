// What PID 1 does with each ctl verb (control_context.hpp): one handler a
// verb, found by the table at the end.
#include "steward/pid1/control_context.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "steward/config/graph.hpp"
#include "steward/log/hub.hpp"
#include "steward/pid1/supervisor.hpp"

namespace steward {

using Verb = CtlRequest::Verb;

const ControlContext::Row ControlContext::kHandlers[] = {
    {Verb::kStatus, &ControlContext::Status},     {Verb::kStart, &ControlContext::Start},
    {Verb::kStop, &ControlContext::Stop},         {Verb::kRestart, &ControlContext::Restart},
    {Verb::kSignal, &ControlContext::Signal},     {Verb::kReload, &ControlContext::Reload},
    {Verb::kHealth, &ControlContext::Health},     {Verb::kShutdown, &ControlContext::Shutdown},
    {Verb::kLogs, &ControlContext::Logs},         {Verb::kGraph, &ControlContext::Graph},
};

void ControlContext::Run(const CtlRequest& req, ControlDone done, const ControlTake& take) {
  for (const Row& row : kHandlers) {
    if (row.verb == req.verb) return (this->*row.run)(req, done, take);
  }
}

void ControlContext::Status(const CtlRequest& req, ControlDone& done, const ControlTake&) {
  std::vector<ServiceStatus> all = sup_->Status();
  std::vector<ServiceStatus> shown;
  std::string unknown;
  for (const std::string& name : req.names) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const ServiceStatus& s) { return s.name == name; });
    if (it == all.end()) {
      unknown += (unknown.empty() ? "" : ", ") + name;
    } else if (std::none_of(shown.begin(), shown.end(),
                            [&](const ServiceStatus& s) { return s.name == name; })) {
      shown.push_back(*it);
    }
  }
  if (!unknown.empty())
    return done(2, fmt::format("unknown service: {} (see steward ctl status)\n", unknown));
  if (req.names.empty()) shown = std::move(all);
  // Sinks belong to the whole steward: listed when no service is named.
  std::vector<SinkDrops> sinks;
  if (req.names.empty() || req.json) {
    for (const SinkConfig& s : sup_->config().global.log.sinks) {
      sinks.push_back({s.name, logs_ ? logs_->Dropped(s.name) : 0,
                       logs_ ? logs_->Problem(s.name) : ""});
    }
  }
  done(0, req.json ? FormatStatusJson(shown, sinks) : FormatStatusTable(shown, sinks));
}

void ControlContext::Start(const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup_->ControlStart(req.names, req.wait, std::move(done));
}
void ControlContext::Stop(const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup_->ControlStop(req.names, req.wait, std::move(done));
}
void ControlContext::Restart(const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup_->ControlRestart(req.names, req.wait, req.with_dependents, std::move(done));
}
void ControlContext::Signal(const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup_->ControlSignal(req.signal, req.names, std::move(done));
}
void ControlContext::Reload(const CtlRequest&, ControlDone& done, const ControlTake&) {
  sup_->ControlReload(std::move(done));
}
void ControlContext::Health(const CtlRequest&, ControlDone& done, const ControlTake&) {
  sup_->ControlHealth(std::move(done));
}
void ControlContext::Shutdown(const CtlRequest& req, ControlDone& done, const ControlTake&) {
  done(0, "stopping\n");
  sup_->ControlShutdown(req.exit_code);
}
void ControlContext::Graph(const CtlRequest&, ControlDone& done, const ControlTake&) {
  done(0, GraphDot(sup_->config()));
}

// `ctl logs`: unknown names get exit 2; otherwise the client's connection
// goes to the log hub, whose forwarder answers it.
void ControlContext::Logs(const CtlRequest& req, ControlDone& done, const ControlTake& take) {
  const std::string& name = req.names[0];
  // Any service of the configuration, enabled or not: its ring may hold the
  // lines of a run before a reload disabled it. Another name may be a
  // syslog tag: only the forwarder knows those, and it answers for a name
  // it has no ring for as for an unknown service.
  bool configured = sup_->config().Find(name) != nullptr;
  std::string unknown = fmt::format("unknown service: {} (see steward ctl status)\n", name);
  if (!configured && name.empty()) return done(2, unknown);
  if (!logs_) {
    if (!configured) return done(2, unknown);
    return done(1, "no log pipeline: steward runs in wrapper mode (no services directory and no "
                   "global file), and PROGRAM's output goes straight to steward's stdout and "
                   "stderr\n");
  }
  UniqueFd client = take();
  if (!client) return;  // the client already went away
  logs_->Tail(name, configured, req.lines, req.follow, std::move(client));
}

}  // namespace steward
