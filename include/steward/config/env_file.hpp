// Env files (`env_file` in a service, SPEC §3): `KEY=VALUE` lines read by the
// supervisor at each start of the service, so a oneshot earlier in the graph
// can write one. Also the small whole-file reader that config, users and env
// files share (no iostreams: binary size matters).
#pragma once

#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

namespace steward {

// Reads a whole file into *content. On failure sets *err to
// `open(PATH): strerror` (or read) and returns false. When `st` is given it
// is filled by fstat() on the opened descriptor, so the mode checked is the
// mode of the very file that was read (no race with a rename in between).
bool ReadFile(const std::string& path, std::string* content, std::string* err,
              struct stat* st = nullptr);

// Parses an env file, appending (KEY, VALUE) pairs in file order to *out.
// The format, as docker's and dotenv's users expect:
//   # comment               blank lines and comment lines are skipped
//   KEY=value               value runs to the end of the line; trailing
//                           blanks and a ` #comment` are dropped
//   export KEY=value        `export ` is allowed and ignored
//   KEY='literal $x \n'     single quotes: taken as is
//   KEY="a\nb \"q\" \\"     double quotes: \n \t \r \" \\ \$ are escapes
// KEY is [A-Za-z_][A-Za-z0-9_.]*. Values are not interpolated. On the first
// error returns false with *err = `PATH:LINE: message`.
bool ParseEnvFile(const std::string& path, std::vector<std::pair<std::string, std::string>>* out,
                  std::string* err);

// ParseEnvFile on text already read; `path` is only used in messages.
bool ParseEnvText(const std::string& path, const std::string& text,
                  std::vector<std::pair<std::string, std::string>>* out, std::string* err);

}  // namespace steward
