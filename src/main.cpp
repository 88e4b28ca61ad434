// steward: a tiny PID 1 for containers.
//
// The recipe: block signals first, parse the command line, load and
// validate the configuration (every error at once, exit 2 before anything
// starts), then hand over to the supervisor's event loop. Before the loop
// steward bails out with a message; inside it, it only warns and carries
// on, since PID 1 dying takes the whole container with it.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <tuple>
#include <utility>

#include <ev.h>

#include "steward/config/check.hpp"
#include "steward/config/config.hpp"
#include "steward/config/config_volume.hpp"
#include "steward/config/privileges.hpp"
#include "steward/control/ctl.hpp"
#include "steward/log/forwarder/forwarder.hpp"
#include "steward/log/hub.hpp"
#include "steward/log/protocol.hpp"
#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"
#include "steward/config/options.hpp"
#include "steward/pid1/procs.hpp"
#include "steward/pid1/runtime.hpp"
#include "steward/util/signals.hpp"
#include "steward/pid1/process_host.hpp"
#include "steward/tools/supervisord.hpp"
#include "steward/tools/probe.hpp"

extern char** environ;

using namespace steward;

namespace {

std::map<std::string, std::string> EnvironmentMap() { return EnvironmentFrom(environ); }

// Local time's offset from UTC and the zone's name (rfc3164 sinks).
std::pair<long, std::string> LocalZone() {
  time_t now = time(nullptr);
  struct tm tm;
  if (!localtime_r(&now, &tm)) return {0, ""};
  const char* tz = getenv("TZ");
  return {tm.tm_gmtoff, tz && *tz ? fmt::format("TZ={}", tz) : "/etc/localtime"};
}

LoadRequest Request(const Options& o) {
  static const Privileges self = CurrentPrivileges();
  LoadRequest req;
  ServicesDirChoice dir = ResolveServicesDir(o);
  req.services_dir = dir.dir;
  req.services_dir_why = dir.why;
  req.self = &self;
  std::tie(req.utc_offset, req.zone) = LocalZone();
  req.config_file = ResolveConfigFile(o);
  if (const char* p = getenv("STEWARD_PROFILE")) req.profile = p;
  req.program = o.program;
  req.allow_unset = o.allow_unset;
  req.environ_vars = environ;  // copied into a map only if a file needs it
  return req;
}

bool Read(const Options& o, Config* config, std::vector<std::string>* errors) {
  return LoadConfig(Request(o), config, errors);
}

// SPEC §7: the volume's tree goes over the image's root, before anything
// starts and at each reload. It may bring service files or the global file
// of its own, so it is rendered first, and the configuration it would give
// (the services directory and the global file with the volume's files over
// them) is validated before anything of it is installed: a refused volume
// installs nothing, and the configuration on disk stays the last good one.
// Then the installed configuration is read.
bool ReadWithVolume(const Options& o, Config* config, std::vector<std::string>* errors) {
  std::vector<std::string> disk_errors;
  bool ok = Read(o, config, &disk_errors);
  std::string volume = ConfigVolumePath(config->global);
  if (volume.empty()) {
    errors->insert(errors->end(), disk_errors.begin(), disk_errors.end());
    return ok;
  }
  RenderedVolume v = RenderConfigVolume(volume, "/", EnvironmentMap());
  std::vector<std::string> refused;
  if (!CheckVolumeConfig(v, Request(o), &refused)) {
    Error("config volume {}: refused with {} error{}; nothing of it was installed", volume,
          refused.size(), refused.size() == 1 ? "" : "s");
    errors->insert(errors->end(), refused.begin(), refused.end());
    return false;
  }
  VolumeResult r = InstallRendered(v);
  for (const std::string& w : r.warnings) Warning("{}", w);
  for (const std::string& path : r.installed) Info("config volume: installed {}", path);
  if (!r.errors.empty()) {
    Error("config volume {}: {} error{} installing it; {}", volume, r.errors.size(),
          r.errors.size() == 1 ? "" : "s",
          r.installed.empty() ? "nothing of it was installed"
                              : fmt::format("{} of its files were installed before them",
                                            r.installed.size()));
    errors->insert(errors->end(), r.errors.begin(), r.errors.end());
    return false;
  }
  *config = Config();
  return Read(o, config, errors);
}

// At start: which services directory was read and why.
void Say(const Config& config, bool init) {
  if (init && config.services_dir_exists)
    Info("services from {}{}", config.services_dir,
         config.services_dir_why.empty() ? "" : " (" + config.services_dir_why + ")");
}

// What is worth saying but not refusing: a profile no file has, an unset
// variable under --check --allow-unset.
void SayWarnings(const Config& config) {
  for (const std::string& w : config.warnings) Warning("{}", w);
}

bool Load(const Options& o, Config* config) {
  std::vector<std::string> errors;
  bool check = o.mode == Options::Mode::kCheck;
  bool ok = check ? Read(o, config, &errors) : ReadWithVolume(o, config, &errors);
  SayWarnings(*config);
  if (ok) return true;
  for (const std::string& e : errors) Error("{}", e);
  Error("{} configuration error{}; nothing was started", errors.size(),
        errors.size() == 1 ? "" : "s");
  return false;
}

SupervisorSettings Settings(const Options& o, const Config& config, bool wrapper) {
  SupervisorSettings s;
  const GlobalConfig& g = config.global;
  s.shutdown_timeout = o.shutdown_timeout.value_or(g.shutdown_timeout.value_or(DefaultShutdownTimeout()));
  s.grace = o.grace.value_or(g.grace.value_or(DefaultGrace()));
  s.kill_mode = o.kill_mode.value_or(g.kill_mode.value_or(KillMode::kGroup));
  s.remap_exit = o.remap_exit;
  s.log_orphans = o.log_orphans;
  s.wrapper_mode = wrapper;
  s.stdout_is_terminal = isatty(STDOUT_FILENO);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  // 0. One binary, two programs: PID 1 starts its log forwarder by executing
  //    this binary again as `steward-log` (log/hub.hpp).
  if (argc > 0 && argv[0]) {
    const char* slash = strrchr(argv[0], '/');
    if (strcmp(slash ? slash + 1 : argv[0], log::kForwarderName) == 0) return log::ForwarderMain(argc, argv);
  }

  // 1. Signals are blocked before anything else, so none is lost or acted
  //    on asynchronously; the event loop takes them as events.
  InheritedSignals inherited;
  inherited.CaptureAndBlockAll();

  // 2. The command line.
  Options o;
  std::string err;
  if (!ParseOptions(std::vector<std::string>(argv, argv + argc), getenv, &o, &err)) {
    Error("{}", err);
    return 2;
  }
  SetVerbosity(o.verbosity);
  switch (o.mode) {
    case Options::Mode::kHelp: WriteAll(STDOUT_FILENO, HelpText()); return 0;
    case Options::Mode::kVersion: WriteAll(STDOUT_FILENO, VersionText() + "\n"); return 0;
    case Options::Mode::kLicense: WriteAll(STDOUT_FILENO, LicenseText()); return 0;
    case Options::Mode::kCtl:
      // The client is an ordinary program: it gets the signals it was
      // started with back (Ctrl-C ends a waiting `ctl start`).
      inherited.RestoreInChild();
      return RunCtl(o.ctl_args, o.runtime_dir);
    case Options::Mode::kProbe:
      inherited.RestoreInChild();
      return tools::RunProbe(o.ctl_args);
    case Options::Mode::kImport:
      inherited.RestoreInChild();
      return tools::RunImport(o.ctl_args);
    case Options::Mode::kInit:
    case Options::Mode::kCheck:
      break;
  }
  // The forwarder's program, held before a config volume or anything else
  // can change what the path names.
  if (o.mode == Options::Mode::kInit) log::HoldOwnBinary(argc > 0 ? argv[0] : nullptr);
  if (o.pdeathsig && prctl(PR_SET_PDEATHSIG, o.pdeathsig, 0, 0, 0) < 0)
    Warning("{}", SysError("prctl", "PR_SET_PDEATHSIG", errno));

  // 3. The configuration (and the volume over it, SPEC §7): every error at
  //    once, exit 2, nothing started.
  Config config;
  if (!Load(o, &config)) return 2;
  Say(config, o.mode == Options::Mode::kInit);
  if (o.mode == Options::Mode::kCheck) return PrintCheck(config, STDOUT_FILENO) ? 0 : 2;
  if (!config.profile.empty()) Info("profile: {} (STEWARD_PROFILE)", config.profile);

  bool wrapper = !config.services_dir_exists && config.global.path.empty();
  if (!config.HasServices()) {
    if (o.program.empty() && wrapper) {
      // Named as it was looked for: given, or the two defaults.
      Error("nothing to run: no PROGRAM given and no services directory ({}); see steward --help",
            o.services_dir ? config.services_dir + " does not exist"
                           : "neither /etc/services nor /etc/services.d is a directory");
      return 2;
    }
  }

  // 4. Reap everything below us, also when we are not PID 1.
  if (getpid() != 1 && !BecomeSubreaper())
    Warning("{}; orphans will not be reaped", SysError("prctl", "PR_SET_CHILD_SUBREAPER", errno));

  SupervisorSettings settings = Settings(o, config, wrapper);
  if (!wrapper) settings.runtime_dir = PrepareRuntimeDir(o);

  // 5. The loop: signalfd underneath, so signals stay blocked.
  struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_SIGNALFD | EVFLAG_NOENV);
  if (!loop) {
    Error("cannot initialise the event loop (libev)");
    return 1;
  }
  // A reload reads everything again as above, with the same command line.
  ConfigReader reread = [&o, wrapper](Config* next, SupervisorSettings* s,
                                      std::vector<std::string>* errors) {
    bool ok = ReadWithVolume(o, next, errors);
    SayWarnings(*next);
    if (!ok) return false;
    SupervisorSettings fresh = Settings(o, *next, wrapper);
    s->shutdown_timeout = fresh.shutdown_timeout;
    s->grace = fresh.grace;
    s->kill_mode = fresh.kill_mode;
    return true;
  };
  return RunInit(loop, std::move(settings), std::move(config), &inherited, std::move(reread));
}
