// The configuration as plain data: one ServiceConfig per services/NAME.toml,
// one GlobalConfig for /etc/steward.toml (SPEC §3, §5, §7).
//
// LoadConfig() reads and validates everything, reports every error at once
// as `PATH:LINE:COLUMN: message`, and fills these structs with every default
// applied and every reference resolved (users to uids, signals to numbers),
// so the supervisor never re-validates. toml++ and its exceptions stay inside
// the readers in src/config/ (config*.cpp, behind config_read.hpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "steward/config/parse.hpp"

namespace steward {

enum class ServiceType { kLongrun, kOneshot };
enum class RestartPolicy { kNo, kOnFailure, kAlways };
enum class OnFailure { kIgnore, kShutdown };
enum class KillMode { kGroup, kProcess };

// A command: exec'd directly (argv, PATH searched) or run by /bin/sh -c.
struct Command {
  std::vector<std::string> argv;  // for a shell string: {"/bin/sh", "-c", text}
  bool shell = false;             // true when given as a string
  bool empty() const { return argv.empty(); }
};

struct ReadyCheck {
  enum class Kind { kNone, kNotifySystemd, kNotifyFd, kTcp, kCommand, kFile };
  Kind kind = Kind::kNone;  // kNone: ready as soon as started
  int notify_fd = -1;       // kNotifyFd
  std::string host;         // kTcp
  uint16_t port = 0;        // kTcp
  Command command;          // kCommand
  std::string file;         // kFile
  Duration timeout = Duration(60000);
  Duration interval = Duration(100);
};

struct HealthCheck {
  bool enabled = false;
  Command test;  // ["CMD", ...] -> argv; ["CMD-SHELL", "..."] -> sh -c
  Duration interval = Duration(30000);
  Duration timeout = Duration(30000);
  int retries = 3;
  Duration start_period = Duration(0);
  bool restart_on_unhealthy = false;  // on_unhealthy = "restart"
};

// Identity a service runs as, resolved from the image's /etc/passwd and
// /etc/group by steward itself (a static binary has no NSS).
struct Identity {
  bool set = false;  // false: run as steward's own identity
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  std::string name;           // USER / LOGNAME; the number for a uid not in passwd
  std::string home;           // HOME; "/" for a uid not in passwd
};

struct ResourceLimit {
  int resource;         // RLIMIT_*
  uint64_t soft, hard;  // RLIM_INFINITY for "unlimited"
};

// Per-service [log] (SPEC §5).
struct ServiceLogConfig {
  bool console = true;
  std::optional<std::vector<std::string>> sinks;  // only these sinks when set
  std::string prefix;                             // name shown; default: service name
};

struct ServiceConfig {
  std::string name;
  std::string path;  // the file it came from ("" for the command-line main)
  Command command;
  ServiceType type = ServiceType::kLongrun;
  std::vector<std::string> depends_on;
  bool main = false;
  bool enabled = true;
  RestartPolicy restart = RestartPolicy::kOnFailure;  // kNo for oneshot
  Duration restart_delay = Duration(100);
  Duration restart_delay_max = Duration(30000);
  int max_restarts = 0;  // 0 = never give up
  OnFailure on_failure = OnFailure::kIgnore;
  int stop_signal = 15;
  Duration stop_grace_period = Duration(5000);
  Command stop_command;  // empty: send stop_signal
  std::optional<KillMode> kill_mode;  // unset: global --kill-mode
  Identity identity;
  std::string working_dir = "/";
  std::optional<mode_t> umask;
  std::vector<std::pair<std::string, std::string>> environment;  // in file order
  std::vector<std::string> env_files;
  // What the env_files held when the configuration was read: a digest per
  // file, or `-` for one that does not exist (yet). Part of the definition
  // for the reload diff (SPEC §4): a changed content restarts the service.
  std::string env_digest;
  bool clear_env = false;
  bool no_new_privileges = false;
  std::vector<ResourceLimit> limits;
  ReadyCheck ready;
  HealthCheck healthcheck;
  ServiceLogConfig log;

  // Set for the service made from PROGRAM on the command line: it gets
  // steward's stdin, and its stdio directly when stdout is a terminal.
  bool from_command_line = false;
};

// A file sink's default `buffer`: the most its files in trouble hold in
// memory (file_sink.hpp).
constexpr uint64_t kFileSinkBuffer = 16ull << 20;

struct SinkConfig {
  enum class Type { kSyslog, kFile, kJson, kRelp };
  std::string name;
  Type type = Type::kFile;
  std::string url;                       // syslog, json, relp
  bool octet_counting = true;            // framing = "octet-counting" | "lf"
  bool rfc3164 = false;                  // format = "rfc3164"
  int facility = 3;                      // daemon
  std::string hostname;                  // empty: the container's hostname
  std::vector<std::string> services = {"*"};
  uint64_t buffer = 64ull << 20;         // network: the spool; file: kFileSinkBuffer
  bool overflow_block = false;           // overflow = "block"
  std::string path;                      // file: may contain {service}
  uint64_t rotate_size = 10ull << 20;    // file
  int keep = 5;                          // file
  int window = 128;                      // relp: records in flight
  // tls:// urls. tls_ca "" means the system bundle.
  std::string tls_ca, tls_cert, tls_key, tls_server_name;
  bool tls_verify = true;
};

struct LogConfig {
  enum class Console { kPrefixed, kRaw, kJson, kOff };
  Console console = Console::kPrefixed;
  bool console_drop_oldest = false;  // console_overflow = "drop-oldest"
  uint64_t max_line = 16 << 10;
  Duration partial_flush = Duration(1000);
  uint64_t ring = 1 << 20;  // recent bytes per service kept for `ctl logs`
  std::string syslog_socket = "/dev/log";  // "" disables
  std::vector<SinkConfig> sinks;
};

struct GlobalConfig {
  std::string path;  // "" when there is no global file
  std::optional<Duration> shutdown_timeout;
  std::optional<Duration> grace;
  std::optional<KillMode> kill_mode;
  std::string control_group;  // control socket group (0660)
  std::optional<gid_t> control_gid;  // control_group resolved from /etc/group
  std::string config_volume;
  bool config_volume_watch = true;                // SPEC §7: inotify while running
  Duration config_volume_settle = Duration(1000);  // quiet time before installing again
  LogConfig log;
};

struct Config {
  std::string services_dir;     // the directory read ("" when none exists)
  bool services_dir_exists = false;
  GlobalConfig global;
  std::vector<ServiceConfig> services;  // enabled and disabled, sorted by name
  // True when at least one enabled service comes from a file; the service
  // made from PROGRAM on the command line does not count.
  bool HasServices() const;
  const ServiceConfig* Find(const std::string& name) const;
};

struct LoadRequest {
  std::string services_dir;  // as resolved from --services / env / default
  std::string config_file;   // "" when none
  std::string root = "";     // prefix for /etc/passwd, /etc/group (tests)
  std::string profile;       // STEWARD_PROFILE
  // PROGRAM from the command line, becomes service "main" (SPEC §3).
  std::vector<std::string> program;
  // Environment used for ${VAR} interpolation.
  std::map<std::string, std::string> env;
  // When set (PID 1 passes `environ`), used instead of `env`, and turned
  // into a map only when the first string needs interpolating: wrapper
  // mode reads no file, so it never pays for copying the environment.
  const char* const* environ_vars = nullptr;
  // Files a configuration volume would install (SPEC §7), by destination
  // path: read instead of what is on disk there (a service file there is
  // listed even when the disk has none), so that the configuration a volume
  // would give is validated before any of it is installed. Messages name
  // `source`, the file in the volume.
  struct OverlayFile {
    std::string content;
    unsigned mode = 0644;
    std::string source;
  };
  std::map<std::string, OverlayFile> overlay;
};

// NAME=VALUE strings (as in environ) as a map; entries without '=' are left out.
std::map<std::string, std::string> EnvironmentFrom(const char* const* vars);

// Reads and validates. On failure, returns false and appends every error,
// one message per entry, to *errors (each `PATH:LINE:COLUMN: message`).
bool LoadConfig(const LoadRequest& req, Config* out, std::vector<std::string>* errors);

}  // namespace steward
