// The ctl verbs as one table: each row is a verb's name, its usage line,
// and the options and arguments it takes. What PID 1 does with each verb is
// its own table, in src/pid1/control_context.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "steward/config/parse.hpp"
#include "steward/control/control.hpp"
#include "steward/util/args.hpp"
#include "steward/util/signals.hpp"

namespace steward {

namespace {

using Verb = CtlRequest::Verb;

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

// The table. Adding a verb is one row here (and its Verb enumerator, and
// its handler in PID 1: src/pid1/control_context.cpp).
const VerbSpec kVerbTable[] = {
    {"status", Verb::kStatus, "status [NAME...] [--json]     state, pid, uptime, restarts, ready, health, last exit",
     kJson, Words::kAnyNames},
    {"start", Verb::kStart, "start NAME... [--no-wait]     start services and their dependencies; wait until up",
     kNoWait, Words::kSomeNames},
    {"stop", Verb::kStop, "stop NAME... [--no-wait]      stop services and what depends on them; wait until down",
     kNoWait, Words::kSomeNames},
    {"restart", Verb::kRestart, "restart NAME... [--no-wait] [--with-dependents]\n"
     "                                stop, then start again (only NAME; its dependents too with --with-dependents)",
     kNoWait | kWithDependents, Words::kSomeNames},
    {"signal", Verb::kSignal, "signal SIG NAME...            send a signal (TERM, SIGUSR1, 10, ...) to services",
     kDashSig, Words::kSignalAndNames},
    {"reload", Verb::kReload, "reload                        read the configuration again (as SIGHUP)",
     0, Words::kNone},
    {"health", Verb::kHealth, "health                        exit 0 when every service is up, ready and healthy",
     0, Words::kNone},
    {"shutdown", Verb::kShutdown, "shutdown [--exit-code N]      start the stop sequence",
     kExitCode, Words::kNone},
    {"logs", Verb::kLogs, "logs NAME [-n N] [-f]         recent lines of a service, syslog tag or steward",
     kLines | kFollow, Words::kOneName},
    {"graph", Verb::kGraph, "graph                         the dependency graph in Graphviz DOT",
     0, Words::kNone},
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

}  // namespace steward
