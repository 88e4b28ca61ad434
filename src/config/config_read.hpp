// Internal to config*.cpp: the pieces every configuration reader shares.
//
// Diagnostics collects errors from all files and hands them out sorted
// (file order, then position in the file), because toml++ tables iterate in
// key order, not in source order. FileCtx is one file being read. The
// Read* functions check one value's type and range, report at the value's
// position and return false on error, leaving *out untouched.
//
// toml++ is used with exceptions enabled; nothing here throws on bad input
// (type checks come first), and LoadConfig catches anything else.
#pragma once

#include <sys/stat.h>
#include <toml++/toml.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/config/interpolate.hpp"

namespace steward {

class UserDb;
struct Privileges;

class Diagnostics {
 public:
  // `file` orders files (the global file is 0, then services by name).
  void Add(size_t file, const std::string& path, toml::source_position pos, std::string message);
  // An error about a whole file that has no position (cannot read it).
  void AddPlain(size_t file, std::string text);
  size_t size() const { return items_.size(); }
  // Appends every error, sorted, to *out.
  void AppendSorted(std::vector<std::string>* out) const;

 private:
  struct Item {
    size_t file;
    uint64_t line, column;  // 0 for a file-level error: those come first
    std::string text;
  };
  std::vector<Item> items_;
};

// What every reader of one file needs. Does not own the pointees.
struct FileCtx {
  std::string path;
  size_t index = 0;
  Diagnostics* diags = nullptr;
  Diagnostics* warnings = nullptr;
  UserDb* users = nullptr;
  const Privileges* self = nullptr;  // see LoadRequest::self
  // Sink names declared in the global file; null when it could not be read,
  // so references are not checked against a list known to be incomplete.
  const std::set<std::string>* sinks = nullptr;
  // String nodes whose interpolation failed: that error is enough, their
  // raw text must not raise a second one.
  std::set<const toml::node*> poisoned;

  void Error(const toml::node& at, std::string message);
  void ErrorAt(const toml::source_region& at, std::string message);
  void ErrorAtStart(std::string message) { ErrorAt(toml::source_region(), std::move(message)); }
  void Warn(const toml::node& at, std::string message);
  std::string Dir() const;  // the directory of the file, for relative paths
};

// [a-z0-9][a-z0-9_.-]*: the rule for a service's name (SPEC §3).
bool ValidServiceName(std::string_view name);

// The warning for a service file skipped for its name (config_warnings.cpp).
std::string SkippedNameWarning(const std::string& path, const std::string& name);

// The warning for rfc3164 sinks when local time is not UTC, or "".
std::string Rfc3164ZoneWarning(const LogConfig& log, long utc_offset, const std::string& zone);

// "a string", "an array", ... for "must be X, not Y" messages.
const char* TypeName(const toml::node& n);

// " (did you mean 'x'?)" for the nearest candidate within a small edit
// distance, or "" when nothing is close.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// The entries of a table in source order (toml++ iterates in key order).
std::vector<std::pair<const toml::key*, const toml::node*>> InSourceOrder(const toml::table& t);

// A table's keys, each read by its handler; unknown keys are errors that
// suggest the nearest known one. `where` names the table in messages ("" for
// the top level, "ready" gives "unknown key 'x' in [ready]").
template <typename T>
struct Key {
  const char* name;
  void (*read)(FileCtx& c, const toml::node& value, T* out);
};

void UnknownKey(FileCtx& c, const toml::key& k, const char* where, std::vector<std::string> known);

template <typename T, size_t N>
void ReadKeys(FileCtx& c, const toml::table& t, const char* where, const Key<T> (&keys)[N],
              T* out) {
  for (auto [k, v] : InSourceOrder(t)) {
    const Key<T>* key = nullptr;
    for (const Key<T>& candidate : keys) {
      if (k->str() == candidate.name) key = &candidate;
    }
    if (key) {
      key->read(c, *v, out);
      continue;
    }
    std::vector<std::string> known;
    for (const Key<T>& candidate : keys) known.emplace_back(candidate.name);
    UnknownKey(c, *k, where, std::move(known));
  }
}

template <typename T>
struct Choice {
  const char* name;
  T value;
};

// The value readers. `label` is the key as the user wrote it, dotted for
// nested tables ("ready.timeout").
bool ReadString(FileCtx& c, const toml::node& v, const char* label, std::string* out);
bool ReadBool(FileCtx& c, const toml::node& v, const char* label, bool* out);
bool ReadInt(FileCtx& c, const toml::node& v, const char* label, int64_t min, int64_t max,
             int64_t* out);
bool ReadDuration(FileCtx& c, const toml::node& v, const char* label, Duration* out);
bool ReadSize(FileCtx& c, const toml::node& v, const char* label, uint64_t* out);
bool ReadStrings(FileCtx& c, const toml::node& v, const char* label, std::vector<std::string>* out);
bool ReadCommand(FileCtx& c, const toml::node& v, const char* label, Command* out);
bool ReadAbsolutePath(FileCtx& c, const toml::node& v, const char* label, std::string* out);
bool ReadKillMode(FileCtx& c, const toml::node& v, const char* label, std::optional<KillMode>* out);
const toml::table* ReadTable(FileCtx& c, const toml::node& v, const char* label);

// A string that must be one of `names`; returns its index or -1.
int ReadChoiceIndex(FileCtx& c, const toml::node& v, const char* label,
                    const std::vector<const char*>& names);

template <typename T, size_t N>
bool ReadChoice(FileCtx& c, const toml::node& v, const char* label, const Choice<T> (&choices)[N],
                T* out) {
  std::vector<const char*> names;
  for (const Choice<T>& ch : choices) names.push_back(ch.name);
  int i = ReadChoiceIndex(c, v, label, names);
  if (i < 0) return false;
  *out = choices[i].value;
  return true;
}

// "HOST:PORT" or "[v6]:PORT"; the port must be 1-65535.
bool ParseHostPort(std::string_view s, std::string* host, uint16_t* port);

// Profiles (profiles.cpp): STEWARD_PROFILE's comma-separated names; a
// [profile.NAME] table merged over its file (tables merge key by key,
// anything else replaces; nodes are moved so positions stay); a warning per
// requested name that no file has a table for.
std::vector<std::string> SplitProfiles(const std::string& list);
void MergeTable(toml::table* dst, toml::table* src);
// The chosen profiles of `requested` merged over root (profiles.cpp); each
// [profile.NAME] the file defines is added to *defined.
void ApplyProfiles(FileCtx& c, toml::table* root, const std::string& requested,
                   std::set<std::string>* defined);
std::vector<std::string> ProfileWarnings(const std::string& requested,
                                         const std::set<std::string>& defined);

// Service files and the global file: see config_service.cpp, config_global.cpp.
// Each reads one whole (profile-merged, interpolated) file into *out.
void ReadServiceTable(FileCtx& c, const toml::table& t, ServiceConfig* out);
void ReadGlobalTable(FileCtx& c, const toml::table& t, GlobalConfig* out);

// Trust (config_trust.cpp, SPEC "Trust"). The refusal of a file (or, with
// `directory`, the services directory) that anyone but root or steward's own
// user can write, with the fix; "" when only they can, or when it is on a
// read-only mount (fd: its descriptor, or -1 to look it up by path).
std::string UntrustedConfig(int fd, const struct stat& st, const std::string& path,
                            bool directory);
// Reads an enabled service's env_files as its start will: a refused file or
// a bad line is a configuration error at the env_file key; s->env_digest
// gets what they hold, for the reload diff. A missing file is no error.
void CheckEnvFiles(FileCtx& c, const toml::table& t, ServiceConfig* s);

// ---- shared by the service readers (config_service.cpp, config_checks.cpp) ----
void ReadIntKey(FileCtx& c, const toml::node& v, const char* label, int64_t min, int* out);
// A duration that drives a timer loop: zero would spin.
void ReadPositiveDuration(FileCtx& c, const toml::node& v, const char* label, Duration* out);
void ReadReadyTable(FileCtx& c, const toml::node& v, ReadyCheck* out);
void ReadHealthTable(FileCtx& c, const toml::node& v, HealthCheck* out);
// [limits] (config_limits.cpp): appends each limit read to *out.
void ReadLimitsTable(FileCtx& c, const toml::node& v, std::vector<ResourceLimit>* out);

}  // namespace steward
