// Env files (`env_file` in a service, SPEC §3): `KEY=VALUE` lines read by the
// supervisor at each start of the service, so a oneshot earlier in the graph
// can write one, and at each load of the configuration (errors, the reload
// diff). Also the small whole-file reader that config and users share (no
// iostreams: binary size matters).
#pragma once

#include <sys/stat.h>

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace steward {

// The bound of ReadFile: a service or global file, /etc/passwd, /etc/group.
constexpr size_t kConfigFileMax = size_t(16) << 20;

// Reads a whole file into *content, at most `max` bytes. For files only
// root and the image write (configuration, /etc/passwd): it follows links,
// but it never blocks (O_NONBLOCK), refuses anything but a regular file and
// stops at `max`. On failure sets *err (`open(PATH): strerror`, `PATH: not a
// regular file`, `PATH: larger than N bytes`) and returns false. When `st`
// is given it is filled by fstat() on the opened descriptor, so the mode
// checked is the mode of the very file that was read (no race with a
// rename in between). A path a service could write goes through
// ReadEnvFile / util/safe_path.hpp instead.
bool ReadFile(const std::string& path, std::string* content, std::string* err,
              struct stat* st = nullptr, size_t max = kConfigFileMax);

// How to make st (at path) writable only by root, steward's own user and
// allowed_uid ((uid_t)-1: nobody else): `chmod o-w PATH`, `chown root PATH`,
// joined by ` && ` when more than one is needed.
std::string TrustFix(const struct stat& st, const std::string& path, uid_t allowed_uid);

// An env_file is at most this large (SPEC §3).
constexpr size_t kEnvFileMax = size_t(1) << 20;

// One env_file as read by PID 1, at load and at each start of its service.
struct EnvFileRead {
  std::vector<std::pair<std::string, std::string>> vars;  // in file order
  // Empty when read and parsed; else `PATH: reason; fix` (a refusal),
  // `PATH:LINE: message` (a bad line: its text is never shown, it may hold
  // a secret) or the open's error. Never any of the file's content.
  std::string error;
  bool missing = false;  // it does not exist (yet): a oneshot may write it
  uint64_t digest = 0;   // of the content, when read: the reload diff compares it
};

// Reads env file `path` for a service running as `owner` ((uid_t)-1: as
// steward) under util/safe_path.hpp's rules: no link followed where a less
// trusted user could have put it, never blocks (a FIFO is refused), regular
// files only, at most kEnvFileMax bytes; refused when anyone but root,
// steward's user or `owner` can write it. Then parsed as ParseEnvText does.
EnvFileRead ReadEnvFile(const std::string& path, uid_t owner);

// One file's part of ServiceConfig::env_digest: its digest, `-` when
// missing, `!` when refused or unparsable.
std::string EnvDigestPart(const EnvFileRead& r);

// Parses an env file's text, appending (KEY, VALUE) pairs in file order to *out.
// The format, as docker's and dotenv's users expect:
//   # comment               blank lines and comment lines are skipped
//   KEY=value               value runs to the end of the line; trailing
//                           blanks and a ` #comment` are dropped
//   export KEY=value        `export ` is allowed and ignored
//   KEY='literal $x \n'     single quotes: taken as is
//   KEY="a\nb \"q\" \\"     double quotes: \n \t \r \" \\ \$ are escapes
// KEY is [A-Za-z_][A-Za-z0-9_.]*. Values are not interpolated. On the first
// error returns false with *err = `PATH:LINE: message`; `path` is only used
// in messages, and no message quotes the text.
bool ParseEnvText(const std::string& path, const std::string& text,
                  std::vector<std::pair<std::string, std::string>>* out, std::string* err);

}  // namespace steward
