// `steward import supervisord FILE [-o DIR]`: the command line around
// ConvertSupervisord (import_supervisord.cpp): options, the files written.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "steward/tools/supervisord.hpp"
#include "steward/util/args.hpp"
#include "steward/util/fd.hpp"

namespace steward::tools {

int RunImport(const std::vector<std::string>& args) {
  static const char* kUsage = "usage: steward import supervisord FILE [-o DIR]\n";
  std::string file, dir;
  bool help = false;
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) help = true;
  else if (args.empty() || args[0] != "supervisord") {
    WriteAll(STDERR_FILENO, fmt::format("steward import: {}\n{}",
                                        args.empty() ? "what to import? (supervisord)"
                                                     : "cannot import '" + args[0] + "' (only supervisord)",
                                        kUsage));
    return 2;
  }
  ArgSpec spec;
  spec.options = {
      {"--help", 'h', false, [&help](const std::string&, std::string*) { return help = true; }},
      {nullptr, 'o', true,
       [&dir](const std::string& v, std::string*) {
         dir = v;
         return true;
       }},
  };
  spec.word = [&file](const std::string& a, std::string* why) {
    if (!file.empty()) {
      *why = "one FILE only";
      return false;
    }
    file = a;
    return true;
  };
  std::string err;
  if (!help && !ParseArgs(args, 1, spec, &err)) {
    WriteAll(STDERR_FILENO, fmt::format("steward import: {}\n{}", err, kUsage));
    return 2;
  }
  if (help) {
    WriteAll(STDOUT_FILENO, kUsage);
    return 0;
  }
  if (file.empty()) {
    WriteAll(STDERR_FILENO, fmt::format("steward import: no FILE given\n{}", kUsage));
    return 2;
  }
  std::vector<IniSection> sections;
  std::vector<std::string> errors;
  ReadSupervisord(file, &sections, &errors);
  ImportResult r = ConvertSupervisord(sections, file);
  errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  for (const std::string& e : errors) WriteAll(STDERR_FILENO, "steward import: " + e + "\n");
  if (!errors.empty()) {
    WriteAll(STDERR_FILENO, fmt::format("steward import: {} error{}; nothing written\n",
                                        errors.size(), errors.size() == 1 ? "" : "s"));
    return 1;
  }
  if (dir.empty()) {
    for (const ImportedFile& f : r.files)
      WriteAll(STDOUT_FILENO, fmt::format("# ==> {} <==\n{}\n", f.name, f.text));
    return 0;
  }
  for (size_t at = 1; at <= dir.size(); ++at) {  // mkdir -p
    if (at < dir.size() && dir[at] != '/') continue;
    std::string part = dir.substr(0, at);
    if (mkdir(part.c_str(), 0755) < 0 && errno != EEXIST) {
      WriteAll(STDERR_FILENO, fmt::format("steward import: cannot create {}: {}\n", part, strerror(errno)));
      return 1;
    }
  }
  for (const ImportedFile& f : r.files) {
    std::string path = dir + "/" + f.name;
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd || !WriteAll(fd.get(), f.text)) {
      WriteAll(STDERR_FILENO, fmt::format("steward import: cannot write {}: {}\n", path, strerror(errno)));
      return 1;
    }
    fchmod(fd.get(), 0644);  // not group/other-writable whatever the umask: steward refuses those
    WriteAll(STDOUT_FILENO, fmt::format("wrote {}\n", path));
  }
  return 0;
}

}  // namespace steward::tools
