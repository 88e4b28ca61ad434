// The ctl verbs as one table: each row is a verb's name, its usage line,
// the options and arguments it takes, and what PID 1 does with it.
#include <fmt/format.h>

#include <algorithm>

#include "steward/config/graph.hpp"
#include "steward/config/parse.hpp"
#include "steward/control/control.hpp"
#include "steward/util/args.hpp"
#include "steward/util/signals.hpp"

namespace steward {

namespace {

using Verb = CtlRequest::Verb;

// ---- what PID 1 does with each verb (the server's side of a row) ----------

void RunStatus(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake&) {
  std::vector<ServiceStatus> all = sup.Status();
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
    for (const SinkConfig& s : sup.config().global.log.sinks)
      sinks.push_back({s.name, sup.Dropped(s.name), sup.SinkProblem(s.name)});
  }
  done(0, req.json ? FormatStatusJson(shown, sinks) : FormatStatusTable(shown, sinks));
}

void RunStart(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup.ControlStart(req.names, req.wait, std::move(done));
}
void RunStop(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup.ControlStop(req.names, req.wait, std::move(done));
}
void RunRestart(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup.ControlRestart(req.names, req.wait, req.with_dependents, std::move(done));
}
void RunSignal(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake&) {
  sup.ControlSignal(req.signal, req.names, std::move(done));
}
void RunReload(Supervisor& sup, const CtlRequest&, ControlDone& done, const ControlTake&) {
  sup.ControlReload(std::move(done));
}
void RunHealth(Supervisor& sup, const CtlRequest&, ControlDone& done, const ControlTake&) {
  sup.ControlHealth(std::move(done));
}
void RunShutdown(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake&) {
  done(0, "stopping\n");
  sup.ControlShutdown(req.exit_code);
}
void RunLogs(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake& take) {
  sup.ControlLogs(req.names[0], req.lines, req.follow, std::move(done), take);
}
void RunGraph(Supervisor& sup, const CtlRequest&, ControlDone& done, const ControlTake&) {
  done(0, GraphDot(sup.config()));
}

using Words = VerbSpec::Words;
constexpr unsigned kJson = VerbSpec::kJson, kNoWait = VerbSpec::kNoWait,
                   kExitCode = VerbSpec::kExitCode, kLines = VerbSpec::kLines,
                   kFollow = VerbSpec::kFollow, kDashSig = VerbSpec::kDashSig,
                   kWithDependents = VerbSpec::kWithDependents;

bool ParseCount(const std::string& v, uint64_t max, std::string_view what, uint64_t* out,
                std::string* err) {
  if (!ParseUnsigned(v, out) || *out > max) {
    *err = fmt::format("invalid {} '{}' (use 0 to {})", what, v, max);
    return false;
  }
  return true;
}

}  // namespace

// The table. Adding a verb is one row here (and its Verb enumerator).
const VerbSpec kVerbTable[] = {
    {"status", Verb::kStatus, "status [NAME...] [--json]     state, pid, uptime, restarts, ready, health, last exit",
     kJson, Words::kAnyNames, RunStatus},
    {"start", Verb::kStart, "start NAME... [--no-wait]     start services and their dependencies; wait until up",
     kNoWait, Words::kSomeNames, RunStart},
    {"stop", Verb::kStop, "stop NAME... [--no-wait]      stop services and what depends on them; wait until down",
     kNoWait, Words::kSomeNames, RunStop},
    {"restart", Verb::kRestart, "restart NAME... [--no-wait] [--with-dependents]\n"
     "                                stop, then start again (only NAME; its dependents too with --with-dependents)",
     kNoWait | kWithDependents, Words::kSomeNames, RunRestart},
    {"signal", Verb::kSignal, "signal SIG NAME...            send a signal (TERM, SIGUSR1, 10, ...) to services",
     kDashSig, Words::kSignalAndNames, RunSignal},
    {"reload", Verb::kReload, "reload                        read the configuration again (as SIGHUP)",
     0, Words::kNone, RunReload},
    {"health", Verb::kHealth, "health                        exit 0 when every service is up, ready and healthy",
     0, Words::kNone, RunHealth},
    {"shutdown", Verb::kShutdown, "shutdown [--exit-code N]      start the stop sequence",
     kExitCode, Words::kNone, RunShutdown},
    {"logs", Verb::kLogs, "logs NAME [-n N] [-f]         recent lines of a service, syslog tag or steward",
     kLines | kFollow, Words::kOneName, RunLogs},
    {"graph", Verb::kGraph, "graph                         the dependency graph in Graphviz DOT",
     0, Words::kNone, RunGraph},
};

const VerbSpec* FindVerb(std::string_view name) {
  for (const VerbSpec& v : kVerbTable) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

bool ParseCtlRequest(const std::vector<std::string>& args, CtlRequest* out, std::string* err) {
  *out = CtlRequest();
  if (args.empty()) {
    *err = "no verb given";
    return false;
  }
  const std::string& name = args[0];
  const VerbSpec* spec = FindVerb(name);
  if (!spec) {
    *err = fmt::format("unknown verb '{}'", name);
    return false;
  }
  CtlRequest r;
  r.verb = spec->verb;
  auto fail = [&](std::string text) {
    *err = fmt::format("{}: {}", name, text);
    return false;
  };
  unsigned opts = spec->options;
  std::vector<std::string> words;  // non-option arguments
  auto set = [](bool* b, bool v) {
    return [b, v](const std::string&, std::string*) {
      *b = v;
      return true;
    };
  };
  auto count = [](auto* out, uint64_t max, const char* what) {
    return [out, max, what](const std::string& v, std::string* why) {
      uint64_t n;
      if (!ParseCount(v, max, what, &n, why)) return false;
      *out = int(n);
      return true;
    };
  };
  ArgSpec args_spec;  // this verb's options only
  if (opts & kJson) args_spec.options.push_back({"--json", 0, false, set(&r.json, true)});
  if (opts & kNoWait) args_spec.options.push_back({"--no-wait", 0, false, set(&r.wait, false)});
  if (opts & kWithDependents)
    args_spec.options.push_back({"--with-dependents", 0, false, set(&r.with_dependents, true)});
  if (opts & kExitCode)
    args_spec.options.push_back({"--exit-code", 0, true, count(&r.exit_code, 255, "exit code")});
  if (opts & kLines)
    args_spec.options.push_back({nullptr, 'n', true, count(&r.lines, 100000, "line count")});
  if (opts & kFollow) args_spec.options.push_back({"--follow", 'f', false, set(&r.follow, true)});
  args_spec.word = [&words](const std::string& w, std::string*) {
    words.push_back(w);
    return true;
  };
  if (opts & kDashSig) {  // `signal -USR1 web`, as kill(1) takes it
    args_spec.dash_word = [&words](const std::string& a) {
      if (!words.empty() || SignalNumber(a.substr(1)) == 0) return false;
      words.push_back(a.substr(1));
      return true;
    };
  }
  std::string why;
  if (!ParseArgs(args, 1, args_spec, &why)) return fail(why);
  switch (spec->words) {
    case Words::kAnyNames:
      r.names = std::move(words);
      break;
    case Words::kSomeNames:
      if (words.empty()) return fail("name at least one service");
      r.names = std::move(words);
      break;
    case Words::kSignalAndNames:
      if (words.size() < 2) return fail("give a signal and at least one service");
      r.signal = SignalNumber(words[0]);
      if (r.signal == 0) return fail(fmt::format("unknown signal '{}'", words[0]));
      r.names.assign(words.begin() + 1, words.end());
      break;
    case Words::kOneName:
      if (words.size() != 1) return fail("name exactly one service");
      r.names = std::move(words);
      break;
    case Words::kNone:
      if (!words.empty()) return fail(fmt::format("unexpected argument '{}'", words[0]));
      break;
  }
  *out = std::move(r);
  return true;
}

const char* CtlUsage() {
  static const std::string text = [] {
    std::string t = "Usage: steward ctl [--runtime-dir DIR] [--verbose] VERB [ARG...]   (or: stewardctl VERB ...)\n";
    for (const VerbSpec& v : kVerbTable) t += fmt::format("  {}\n", v.usage);
    t += "The socket is RUNTIME_DIR/control.sock: --runtime-dir or STEWARD_RUNTIME_DIR,\n"
         "else /run/steward, else /tmp/steward-UID; its directory must be yours or root's and\n"
         "writable by nobody else. --verbose says which socket was used.\n";
    return t;
  }();
  return text.c_str();
}

void RunVerb(Supervisor& sup, const CtlRequest& req, ControlDone done, const ControlTake& take) {
  for (const VerbSpec& v : kVerbTable) {
    if (v.verb == req.verb) return v.run(sup, req, done, take);
  }
}

}  // namespace steward
