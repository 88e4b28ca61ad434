#include "steward/config/options.hpp"

#include <fmt/format.h>

#include <string_view>

#include "steward/util/args.hpp"
#include "steward/util/signals.hpp"

namespace steward {

Duration DefaultShutdownTimeout() { return Duration(9000); }
Duration DefaultGrace() { return Duration(2000); }

const char* HelpText() {
  return R"(Usage:
  steward [OPTIONS] [--] [PROGRAM [ARG...]]    run as init
  steward --check [OPTIONS] [-- PROGRAM...]    validate configuration, print the plan
  steward ctl VERB [ARG...]                    control a running steward
  stewardctl VERB [ARG...]                     same
  steward probe URL [--timeout DUR]            exit 0 when tcp://HOST:PORT accepts or
                                               http://HOST:PORT/PATH answers 2xx/3xx
  steward import supervisord FILE [-o DIR]     supervisord.conf to service files in DIR

Options:
  --services DIR           services directory (STEWARD_SERVICES)
                           default: /etc/services.d (/etc/services instead when that
                           is a directory; on most images it is a file)
  --config FILE            global configuration file (STEWARD_CONFIG)
                           default: /etc/steward.toml if it exists
  --runtime-dir DIR        control socket, spool, state (STEWARD_RUNTIME_DIR)
                           default: /run/steward, else /tmp/steward-UID
  --shutdown-timeout DUR   deadline for the whole stop sequence (STEWARD_SHUTDOWN_TIMEOUT)
                           default: 9s
  --grace DUR              grace for leftover processes (STEWARD_GRACE); default: 2s
  --kill-mode group|process
                           signal the process group or the process (STEWARD_KILL_MODE)
                           default: group
  -e, --remap-exit CODE    exit code CODE of the main program becomes 0 (repeatable)
  -p, --pdeathsig SIG      parent-death signal for steward
  -s                       subreaper (tini compatibility, TINI_SUBREAPER; automatic)
  -g                       same as --kill-mode group (TINI_KILL_PROCESS_GROUP)
  -w                       log every reaped orphan
  -v, --verbose, -q        more / less of steward's own messages (STEWARD_VERBOSITY 0-3;
                           TINI_VERBOSITY is read too)
  -l                       print the licence and exit (tini compatibility)
  --check                  validate everything, print the start order, exit 0 or 2
                           (STEWARD_PROFILE=NAME applies [profile.NAME] tables)
  --allow-unset            with --check: a variable that is not set is a warning, not
                           an error (check at build time what is set when it runs)
  --version                print the version and exit (in tini's format, which
                           Docker reads from its init)
  -h, --help               print this help and exit

Exit status: the main program's status (128+N when killed by signal N),
127 program not found, 126 not executable, 2 usage or configuration error,
1 when steward could not set itself up.
)";
}

std::string VersionText() {
#if defined(__x86_64__)
  const char* arch = "x86_64";
#elif defined(__aarch64__)
  const char* arch = "aarch64";
#else
  const char* arch = "unknown";
#endif
  // Docker runs `docker-init --version` and reads tini's "tini version X -
  // git.Y" (docker info's "init version" is Y); as catatonit does, steward
  // answers in that form, its own name in the version and after a third
  // " - ", which Docker's split leaves alone.
  return fmt::format("tini version {}_steward - git.{} - steward {} ({})", STEWARD_VERSION,
                     STEWARD_COMMIT, STEWARD_VERSION, arch);
}

const char* LicenseText() {
  return R"(MIT License

Copyright (c) 2026 The steward authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
)";
}

namespace {

bool ParseKillMode(std::string_view s, KillMode* out) {
  if (s == "group") *out = KillMode::kGroup;
  else if (s == "process") *out = KillMode::kProcess;
  else return false;
  return true;
}

// Applies environment defaults; options given on the command line win
// because they are parsed afterwards and overwrite.
bool ApplyEnv(const EnvLookup& env, Options* o, std::string* err) {
  if (const char* v = env("STEWARD_SERVICES"); v && *v) o->services_dir = v;
  if (const char* v = env("STEWARD_CONFIG"); v && *v) o->config_file = v;
  if (const char* v = env("STEWARD_RUNTIME_DIR"); v && *v) o->runtime_dir = v;
  if (const char* v = env("STEWARD_SHUTDOWN_TIMEOUT"); v && *v) {
    Duration d;
    if (!ParseDuration(v, &d, err)) {
      *err = "STEWARD_SHUTDOWN_TIMEOUT: " + *err;
      return false;
    }
    o->shutdown_timeout = d;
  }
  if (const char* v = env("STEWARD_GRACE"); v && *v) {
    Duration d;
    if (!ParseDuration(v, &d, err)) {
      *err = "STEWARD_GRACE: " + *err;
      return false;
    }
    o->grace = d;
  }
  if (const char* v = env("STEWARD_KILL_MODE"); v && *v) {
    KillMode m;
    if (!ParseKillMode(v, &m)) {
      *err = fmt::format("STEWARD_KILL_MODE: invalid kill mode '{}' (use group or process)", v);
      return false;
    }
    o->kill_mode = m;
  }
  if (const char* v = env("TINI_KILL_PROCESS_GROUP"); v && *v) o->kill_mode = KillMode::kGroup;
  // tini's scale (1 default, more is chattier, 4 = trace) maps onto
  // steward's 0-3; STEWARD_VERBOSITY, read next, wins.
  if (const char* v = env("TINI_VERBOSITY"); v && *v) {
    uint64_t n;
    if (!ParseUnsigned(v, &n)) {
      *err = fmt::format("TINI_VERBOSITY: invalid verbosity '{}' (use 0 to 3)", v);
      return false;
    }
    o->verbosity = int(std::min<uint64_t>(n, 3));
  }
  if (const char* v = env("STEWARD_VERBOSITY"); v && *v) {
    uint64_t n;
    if (!ParseUnsigned(v, &n) || n > 3) {
      *err = fmt::format("STEWARD_VERBOSITY: invalid verbosity '{}' (use 0 to 3)", v);
      return false;
    }
    o->verbosity = int(n);
  }
  return true;
}

bool ParseDurationOption(std::string_view opt, const std::string& v,
                         std::optional<Duration>* out, std::string* err) {
  Duration d;
  if (!ParseDuration(v, &d, err)) {
    *err = fmt::format("{}: {}", opt, *err);
    return false;
  }
  *out = d;
  return true;
}

bool ApplyRemap(const std::string& v, Options* o, std::string* err) {
  uint64_t code;
  if (!ParseUnsigned(v, &code) || code > 255) {
    *err = fmt::format("-e: invalid exit code '{}' (use 0 to 255)", v);
    return false;
  }
  o->remap_exit.push_back(int(code));
  return true;
}

bool ApplyPdeathsig(const std::string& v, Options* o, std::string* err) {
  int sig = SignalNumber(v);
  if (sig == 0) {
    *err = fmt::format("-p: unknown signal '{}'", v);
    return false;
  }
  o->pdeathsig = sig;
  return true;
}

// steward's own options (SPEC §1), tini's and dumb-init's spellings.
ArgSpec OptionTable(Options* o) {
  auto flag = [](auto set) {
    return [set](const std::string&, std::string*) {
      set();
      return true;
    };
  };
  auto mode = [&flag, o](Options::Mode m) { return flag([o, m] { o->mode = m; }); };
  auto text = [](std::optional<std::string>* out) {
    return [out](const std::string& v, std::string*) {
      *out = v;
      return true;
    };
  };
  auto duration = [](const char* name, std::optional<Duration>* out) {
    return [name, out](const std::string& v, std::string* err) {
      return ParseDurationOption(name, v, out, err);
    };
  };
  ArgSpec spec;
  spec.unknown_hint = " (see steward --help)";
  spec.options = {
      {"--help", 'h', false, mode(Options::Mode::kHelp)},
      {"--version", 0, false, mode(Options::Mode::kVersion)},
      {"--check", 0, false, mode(Options::Mode::kCheck)},
      {nullptr, 'l', false, mode(Options::Mode::kLicense)},
      {"--allow-unset", 0, false, flag([o] { o->allow_unset = true; })},
      // --verbose: dumb-init's spelling of -v.
      {"--verbose", 'v', false, flag([o] { o->verbosity = std::min(o->verbosity + 1, 3); })},
      {nullptr, 'q', false, flag([o] { o->verbosity = std::max(o->verbosity - 1, 0); })},
      {nullptr, 's', false, flag([] {})},  // subreaper is automatic
      {nullptr, 'g', false, flag([o] { o->kill_mode = KillMode::kGroup; })},
      {nullptr, 'w', false, flag([o] { o->log_orphans = true; })},
      {"--services", 0, true, text(&o->services_dir)},
      {"--config", 0, true, text(&o->config_file)},
      {"--runtime-dir", 0, true, text(&o->runtime_dir)},
      {"--shutdown-timeout", 0, true, duration("--shutdown-timeout", &o->shutdown_timeout)},
      {"--grace", 0, true, duration("--grace", &o->grace)},
      {"--kill-mode", 0, true,
       [o](const std::string& v, std::string* err) {
         KillMode m;
         if (!ParseKillMode(v, &m)) {
           *err = fmt::format("--kill-mode: invalid kill mode '{}' (use group or process)", v);
           return false;
         }
         o->kill_mode = m;
         return true;
       }},
      {"--remap-exit", 'e', true,
       [o](const std::string& v, std::string* err) { return ApplyRemap(v, o, err); }},
      {"--pdeathsig", 'p', true,
       [o](const std::string& v, std::string* err) { return ApplyPdeathsig(v, o, err); }},
  };
  return spec;
}

}  // namespace

bool ParseOptions(const std::vector<std::string>& argv, const EnvLookup& env,
                  Options* o, std::string* err) {
  *o = Options();
  if (!ApplyEnv(env, o, err)) return false;

  size_t first = 1;
  std::string_view self = argv.empty() ? "" : std::string_view(argv[0]);
  size_t slash = self.rfind('/');
  if (slash != std::string_view::npos) self.remove_prefix(slash + 1);
  // `ctl` is a verb only as the very first argument (SPEC §1).
  if (self == "stewardctl" || (argv.size() > 1 && argv[1] == "ctl")) {
    o->mode = Options::Mode::kCtl;
    first = self == "stewardctl" ? 1 : 2;
    o->ctl_args.assign(argv.begin() + long(first), argv.end());
    return true;
  }
  // The tools (SPEC §8) are verbs the same way.
  if (argv.size() > 1 && (argv[1] == "probe" || argv[1] == "import")) {
    o->mode = argv[1] == "probe" ? Options::Mode::kProbe : Options::Mode::kImport;
    o->ctl_args.assign(argv.begin() + 2, argv.end());
    return true;
  }

  size_t end = first;
  if (!ParseArgs(argv, first, OptionTable(o), err, &end)) return false;
  o->program.assign(argv.begin() + long(end), argv.end());
  if (o->allow_unset && o->mode != Options::Mode::kCheck) {
    *err = "--allow-unset goes with --check (a running steward needs every variable it uses)";
    return false;
  }
  return true;
}

}  // namespace steward
