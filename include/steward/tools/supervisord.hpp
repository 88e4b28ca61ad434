// `steward import supervisord FILE [-o DIR]` (SPEC §8): a supervisord
// configuration read as supervisord reads it (INI, `;` comments,
// continuation lines, [include] globs relative to the including file,
// %(name)s expansions) and turned into one steward service file per
// program. Every key that has an equivalent is converted; every other one
// is kept as a comment saying why.
//
// Reading (supervisord_ini.cpp) and converting (import_supervisord.cpp)
// are separate and pure but for the file system reads of ReadSupervisord.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace steward::tools {

struct IniEntry {
  std::string key;    // lower case, as supervisord compares them
  std::string value;  // continuation lines joined with '\n', not expanded
  std::string where;  // "FILE:LINE"
};

struct IniSection {
  std::string name;   // "program:web", "supervisord", "include"
  std::string where;  // "FILE:LINE" of the header
  std::string here;   // directory of the file it came from (%(here)s)
  std::vector<IniEntry> entries;

  const IniEntry* Find(std::string_view key) const;
};

// Parses one file's text. Errors are "FILE:LINE: message".
bool ParseIni(std::string_view text, const std::string& file, std::vector<IniSection>* out,
              std::vector<std::string>* errors);

// Reads `path` and every file its [include] sections name (`files = a/*.conf
// b.ini`, globs relative to the including file's directory), in
// supervisord's order: the main file's sections, then each included file's.
bool ReadSupervisord(const std::string& path, std::vector<IniSection>* out,
                     std::vector<std::string>* errors);

// What a %(name)s may expand to inside one program.
struct ExpandContext {
  std::string program_name, group_name, here;
  int process_num = 0, numprocs = 1;
};

// supervisord's expansions, written for steward: %(ENV_X)s -> ${X},
// %(host_node_name)s -> ${HOSTNAME}, %(program_name)s and the others to
// their values, %% -> %, and every literal `$` doubled (steward
// interpolates `$`). False with *err on an unknown name or bad format.
bool Expand(std::string_view value, const ExpandContext& ctx, std::string* out,
            std::string* err);

// A command line split as supervisord splits it (shlex, POSIX rules:
// whitespace, 'single', "double" with \\ \" \$ \` escapes, \ outside).
bool SplitCommand(std::string_view command, std::vector<std::string>* out, std::string* err);

// `environment=A="x",B=y`: KEY=VALUE pairs separated by commas, values
// optionally quoted.
bool ParseEnvironment(std::string_view text, std::vector<std::pair<std::string, std::string>>* out,
                      std::string* err);

struct ImportedFile {
  std::string name;  // "web.toml", or "supervisord.notes" for the rest
  std::string text;
};

struct ImportResult {
  std::vector<ImportedFile> files;
  std::vector<std::string> errors;
};

ImportResult ConvertSupervisord(const std::vector<IniSection>& sections,
                                const std::string& source);

// The verb: 0 on success, 1 when the file cannot be read or converted,
// 2 on a usage error.
int RunImport(const std::vector<std::string>& args);

}  // namespace steward::tools
