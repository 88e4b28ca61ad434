// LoadConfig: finds the files, reads each one (profiles merged, strings
// interpolated), hands the tables to config_service.cpp and
// config_global.cpp, then checks what spans services: depends_on, main,
// cycles. Errors from everywhere are collected and reported together.
#include "steward/config/config.hpp"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "config_read.hpp"
#include "steward/config/toml_guard.hpp"
#include "steward/util/diag.hpp"
#include "steward/config/env_file.hpp"
#include "steward/config/graph.hpp"
#include "steward/config/interpolate.hpp"
#include "steward/config/users.hpp"

namespace steward {

// [a-z0-9][a-z0-9_.-]*, so names are safe in paths, log prefixes and DOT.
bool ValidServiceName(std::string_view name) {
  auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || !lower_or_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '.' || c == '-'; });
}

namespace {

std::string CurrentDir() {
  char buf[4096];
  return getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

// One service file after reading, kept with its table so that the checks
// across services can point at the exact depends_on entry.
struct LoadedService {
  std::string name;
  FileCtx* ctx;
  toml::table table;
};

class Loader {
 public:
  Loader(const LoadRequest& req, Config* out) : req_(req), out_(out), users_(req.root) {}

  bool Run(std::vector<std::string>* errors) {
    *out_ = Config();
    out_->profile = req_.profile;
    ReadGlobal();
    WarnRfc3164Zone();
    std::vector<std::string> names;
    ListServices(&names);
    for (size_t i = 0; i < names.size(); ++i) ReadService(names[i], i + 1);
    AddProgramMain();
    std::sort(out_->services.begin(), out_->services.end(),
              [](const ServiceConfig& a, const ServiceConfig& b) { return a.name < b.name; });
    CheckMains();
    for (LoadedService& l : loaded_) CheckDependencies(l);
    CheckCycles();
    CheckProfiles();
    diags_.AppendSorted(errors);
    warnings_.AppendSorted(&out_->warnings);
    return diags_.size() == 0;
  }

 private:
  FileCtx& NewFile(std::string path, size_t index) {
    files_.push_back(std::make_unique<FileCtx>());
    FileCtx& c = *files_.back();
    c.path = std::move(path);
    c.index = index;
    c.diags = &diags_;
    c.warnings = &warnings_;
    c.users = &users_;
    c.self = req_.self;
    return c;
  }

  void ReadGlobal() {
    out_->global.path = req_.config_file;
    if (req_.config_file.empty()) return;
    FileCtx& c = NewFile(req_.config_file, 0);
    toml::table t;
    if (!ParseFile(c, &t)) {
      global_ok_ = false;
      return;
    }
    ReadGlobalTable(c, t, &out_->global);
    for (const SinkConfig& s : out_->global.log.sinks) sink_names_.insert(s.name);
  }

  void WarnRfc3164Zone() {
    std::string w = Rfc3164ZoneWarning(out_->global.log, req_.utc_offset, req_.zone);
    if (!w.empty()) out_->warnings.push_back(std::move(w));
  }

  std::string ServicePath(const std::string& name) const {
    const std::string& dir = req_.services_dir;
    return dir + (!dir.empty() && dir.back() == '/' ? "" : "/") + name + ".toml";
  }

  // NAME.toml files with a valid NAME, sorted. A missing directory is not
  // an error (wrapper mode, SPEC §2). stat() follows symlinks on purpose:
  // Kubernetes mounts a ConfigMap as symlinks into a hidden directory.
  void ListServices(std::vector<std::string>* names) {
    out_->services_dir = req_.services_dir;
    out_->services_dir_why = req_.services_dir_why;
    ListOverlaidServices(names);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(req_.services_dir.c_str()), closedir);
    if (!dir) {
      if (errno != ENOENT) diags_.AddPlain(1, SysError("opendir", req_.services_dir, errno));
      return;
    }
    out_->services_dir_exists = true;
    // A directory others can write lets them add a service root runs.
    struct stat dst;
    if (fstat(dirfd(dir.get()), &dst) != 0) {
      diags_.AddPlain(1, SysError("fstat", req_.services_dir, errno));
      return;
    }
    std::string untrusted = UntrustedConfig(dirfd(dir.get()), dst, req_.services_dir, true);
    if (!untrusted.empty()) {
      diags_.AddPlain(1, untrusted);
      return;
    }
    while (const dirent* e = readdir(dir.get())) {
      std::string_view file = e->d_name;
      if (file.size() <= 5 || file.substr(file.size() - 5) != ".toml") continue;
      std::string name(file.substr(0, file.size() - 5));
      if (!ValidServiceName(name)) {
        // Hidden files are ignored on purpose (editors' swap files, ..data).
        if (name[0] != '.') out_->warnings.push_back(SkippedNameWarning(ServicePath(name), name));
        continue;
      }
      if (std::count(names->begin(), names->end(), name)) continue;
      struct stat st;
      if (stat(ServicePath(name).c_str(), &st) != 0) {
        diags_.AddPlain(1, SysError("stat", ServicePath(name), errno));
      } else if (S_ISREG(st.st_mode)) {
        names->push_back(std::move(name));
      }
    }
    std::sort(names->begin(), names->end());
  }

  // The service files a configuration volume would install (LoadRequest::overlay).
  void ListOverlaidServices(std::vector<std::string>* names) {
    for (const auto& [path, file] : req_.overlay) {
      size_t slash = path.rfind('/');
      if (slash == std::string::npos || !EndsWithToml(path)) continue;
      std::string name = path.substr(slash + 1, path.size() - slash - 6);
      if (!ValidServiceName(name) || ServicePath(name) != path) continue;
      names->push_back(name);
      out_->services_dir = req_.services_dir;
      out_->services_dir_exists = true;
    }
    std::sort(names->begin(), names->end());
  }

  static bool EndsWithToml(const std::string& path) {
    return path.size() > 5 && path.compare(path.size() - 5, 5, ".toml") == 0;
  }

  void ReadService(const std::string& name, size_t index) {
    FileCtx& c = NewFile(ServicePath(name), index);
    c.sinks = global_ok_ ? &sink_names_ : nullptr;
    toml::table t;
    if (!ParseFile(c, &t)) {
      broken_.push_back(name);
      return;
    }
    ServiceConfig s;
    s.name = name;
    s.path = c.path;
    ReadServiceTable(c, t, &s);
    CheckEnvFiles(c, t, &s);
    out_->services.push_back(std::move(s));
    loaded_.push_back({name, &c, std::move(t)});
  }

  // Read, refuse what others can write, parse, merge profiles, interpolate. False when the
  // file is unusable; its errors are reported.
  bool ParseFile(FileCtx& c, toml::table* t) {
    std::string text, err;
    struct stat st;
    auto overlaid = req_.overlay.find(c.path);
    if (overlaid != req_.overlay.end()) {
      text = overlaid->second.content;
      st = {};
      st.st_mode = S_IFREG | overlaid->second.mode;
      c.path = overlaid->second.source;
    } else if (!ReadFile(c.path, &text, &err, &st)) {
      diags_.AddPlain(c.index, err);
      return false;
    }
    std::string untrusted = UntrustedConfig(-1, st, c.path, false);
    if (!untrusted.empty()) {
      c.ErrorAtStart(std::move(untrusted));
      return false;
    }
    size_t line, column;
    if (FindBareNonAscii(text, &line, &column)) {
      toml::source_region at;
      at.begin = {toml::source_index(line), toml::source_index(column)};
      c.ErrorAt(at, "a character outside ASCII is allowed only inside a string or a comment");
      return false;
    }
    try {
      *t = toml::parse(text, c.path);
    } catch (const toml::parse_error& e) {
      c.ErrorAt(e.source(), std::string(e.description()));
      return false;
    }
    ApplyProfiles(c, t, req_.profile, &profiles_defined_);
    InterpolateAll(c, *t);
    return true;
  }

  void InterpolateAll(FileCtx& c, toml::node& n) {
    if (toml::table* t = n.as_table()) {
      for (auto&& [k, v] : *t) InterpolateAll(c, v);
    } else if (toml::array* a = n.as_array()) {
      for (toml::node& v : *a) InterpolateAll(c, v);
    } else if (auto* s = n.as_string()) {
      std::string out, err;
      InterpolateFailure why;
      if (Interpolate(s->get(), Env(), &out, &err, &why)) {
        s->get() = std::move(out);
      } else {
        // Under --allow-unset the string keeps its text, and the checks
        // that would fail on that text say nothing (poisoned).
        if (req_.allow_unset && why.unset) c.Warn(n, err);
        else c.Error(n, err);
        c.poisoned.insert(&n);
      }
    }
  }

  // A misspelt STEWARD_PROFILE would otherwise change nothing, silently.
  void CheckProfiles() {
    for (std::string& w : ProfileWarnings(req_.profile, profiles_defined_))
      warnings_.AddPlain(0, std::move(w));
  }

  const EnvMap& Env() {
    if (!req_.environ_vars) return req_.env;
    if (!env_) env_ = std::make_unique<EnvMap>(EnvironmentFrom(req_.environ_vars));
    return *env_;
  }

  LoadedService* FindLoaded(const std::string& name) {
    for (LoadedService& l : loaded_) {
      if (l.name == name) return &l;
    }
    return nullptr;
  }

  // PROGRAM becomes service "main", started last (SPEC §3). It runs where
  // steward was started, like the image's WORKDIR for a plain CMD.
  void AddProgramMain() {
    if (req_.program.empty()) return;
    if (LoadedService* l = FindLoaded("main")) {
      l->ctx->ErrorAtStart(
          "the name 'main' belongs to PROGRAM given on the command line; rename main.toml");
      return;
    }
    ServiceConfig m;
    m.name = "main";
    m.command.argv = req_.program;
    m.main = true;
    m.restart = RestartPolicy::kNo;
    m.from_command_line = true;
    m.working_dir = CurrentDir();
    for (const ServiceConfig& s : out_->services) {
      if (s.enabled) m.depends_on.push_back(s.name);
    }
    out_->services.push_back(std::move(m));
  }

  // One main at most: PROGRAM, or one enabled service with main = true.
  void CheckMains() {
    const ServiceConfig* first = nullptr;
    for (LoadedService& l : loaded_) {
      const ServiceConfig* s = out_->Find(l.name);
      if (!s->main || !s->enabled) continue;
      const toml::node& at = *l.table.get("main");
      if (!req_.program.empty()) {
        l.ctx->Error(
            at, fmt::format("PROGRAM given on the command line and service '{}' has main = true",
                            s->name));
      } else if (first) {
        l.ctx->Error(at, fmt::format("only one service can have main = true, and '{}' has it too",
                                     first->name));
      } else {
        first = s;
      }
    }
  }

  void CheckDependencies(LoadedService& l) {
    const toml::node* deps = l.table.get("depends_on");
    if (!deps || !deps->is_array()) return;  // a wrong type is reported already
    const ServiceConfig& s = *out_->Find(l.name);
    for (const toml::node& e : *deps->as_array()) {
      if (e.is_string()) CheckDependency(*l.ctx, e, s);
    }
  }

  void CheckDependency(FileCtx& c, const toml::node& at, const ServiceConfig& s) {
    const std::string& d = at.as_string()->get();
    if (d == s.name) return c.Error(at, fmt::format("'{}' depends on itself", d));
    // A file that failed to parse has its own error; "unknown" would mislead.
    if (std::count(broken_.begin(), broken_.end(), d)) return;
    const ServiceConfig* dep = out_->Find(d);
    if (!dep) {
      std::vector<std::string> known = broken_;
      for (const ServiceConfig& other : out_->services) known.push_back(other.name);
      return c.Error(at, fmt::format("unknown service '{}' in depends_on{}", d, Suggest(d, known)));
    }
    if (dep->from_command_line) {
      return c.Error(at,
                     fmt::format("'{}' depends on 'main', which is PROGRAM from the command line "
                                 "and starts after every service",
                                 s.name));
    }
    if (s.enabled && !dep->enabled)
      c.Error(at, fmt::format("'{}' depends on '{}', which has enabled = false", s.name, d));
  }

  // Each cycle is reported once, in the file of its alphabetically first
  // service. Edges into the command-line main are reported above, so they
  // are left out here rather than reported twice.
  void CheckCycles() {
    DepMap deps = BuildDepMap(*out_);
    const ServiceConfig* main = out_->Find("main");
    if (main && main->from_command_line) {
      for (auto& [name, ds] : deps) ds.erase(std::remove(ds.begin(), ds.end(), "main"), ds.end());
    }
    for (const std::vector<std::string>& cycle : FindCycles(deps)) {
      if (LoadedService* l = FindLoaded(cycle.front())) l->ctx->ErrorAtStart(FormatCycle(cycle));
    }
  }

  const LoadRequest& req_;
  Config* out_;
  Diagnostics diags_;
  Diagnostics warnings_;
  std::set<std::string> profiles_defined_;  // every [profile.NAME] table of every file read
  UserDb users_;
  std::vector<std::unique_ptr<FileCtx>> files_;  // stable addresses: tables point back
  bool global_ok_ = true;
  std::set<std::string> sink_names_;   // every sink the global file names
  std::vector<LoadedService> loaded_;  // service files read, by name
  std::vector<std::string> broken_;    // service files that could not be read or parsed
  std::unique_ptr<EnvMap> env_;        // req_.environ_vars as a map, once a string needs it
};

}  // namespace

bool LoadConfig(const LoadRequest& req, Config* out, std::vector<std::string>* errors) {
  // Nothing may escape: PID 1 calls this on reload, inside its event loop.
  try {
    return Loader(req, out).Run(errors);
  } catch (const std::exception& e) {
    errors->push_back(
        fmt::format("internal error: loading the configuration: {} (please report)", e.what()));
  } catch (...) {
    errors->push_back("internal error: loading the configuration failed (please report)");
  }
  return false;
}

}  // namespace steward
