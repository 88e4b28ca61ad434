// The command line and its environment variables (SPEC §1), as plain data.
// ParseOptions is pure: it takes argv and an environment lookup, so tests
// drive it without touching the process.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/config/parse.hpp"

namespace steward {

struct Options {
  enum class Mode { kInit, kCheck, kCtl, kHelp, kVersion, kLicense, kProbe, kImport };
  Mode mode = Mode::kInit;

  std::optional<std::string> services_dir;  // --services / STEWARD_SERVICES
  std::optional<std::string> config_file;   // --config / STEWARD_CONFIG
  std::optional<std::string> runtime_dir;   // --runtime-dir / STEWARD_RUNTIME_DIR
  std::optional<Duration> shutdown_timeout; // --shutdown-timeout
  std::optional<Duration> grace;            // --grace
  std::optional<KillMode> kill_mode;        // --kill-mode, -g
  std::vector<int> remap_exit;              // -e CODE (repeatable)
  int pdeathsig = 0;                        // -p SIG
  bool log_orphans = false;                 // -w
  int verbosity = 1;                        // -v / -q / STEWARD_VERBOSITY
  bool allow_unset = false;                 // --check --allow-unset

  std::vector<std::string> program;  // PROGRAM [ARG...]
  std::vector<std::string> ctl_args; // kCtl: VERB [ARG...]; kProbe, kImport: their arguments
};

using EnvLookup = std::function<const char*(const char*)>;

// Parses argv[1..]. argv[0] decides `stewardctl`. Returns false with *err
// set to a usage message on a bad option (exit 2).
bool ParseOptions(const std::vector<std::string>& argv, const EnvLookup& env,
                  Options* out, std::string* err);

// The --help text; the man page is checked against it.
const char* HelpText();

// "tini version 0.1.0_steward - git.abc123 - steward 0.1.0 (x86_64)": the
// form Docker parses from its init (docker info), with steward's name.
std::string VersionText();

// steward's licence, for tini's -l.
const char* LicenseText();

// Defaults the SPEC states for options that were not given.
Duration DefaultShutdownTimeout();
Duration DefaultGrace();

}  // namespace steward
