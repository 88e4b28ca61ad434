// supervisord's [program:x] sections to steward service files, key by key:
// converted where steward has the same meaning, a comment saying why where
// it has not.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "steward/util/signals.hpp"
#include "steward/tools/supervisord.hpp"

namespace steward::tools {

namespace {

std::string Quote(std::string_view s) {  // a TOML basic string
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
    else out += c;
  }
  return out + "\"";
}

std::string OneLine(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

bool ParseBool(std::string v, bool* out) {
  for (char& c : v) c = char(tolower(static_cast<unsigned char>(c)));
  if (v == "true" || v == "yes" || v == "on" || v == "1") *out = true;
  else if (v == "false" || v == "no" || v == "off" || v == "0") *out = false;
  else return false;
  return true;
}

bool ParseInt(const std::string& v, long* out) {
  if (v.empty() || v.size() > 9) return false;
  for (char c : v)
    if (c < '0' || c > '9') return false;
  *out = atol(v.c_str());
  return true;
}

// steward's names are [a-z0-9][a-z0-9_.-]*.
std::string ServiceName(const std::string& s) {
  std::string out;
  for (char c : s) {
    c = char(tolower(static_cast<unsigned char>(c)));
    out += (isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') ? c : '-';
  }
  if (out.empty() || !isalnum(static_cast<unsigned char>(out[0]))) out = "p" + out;
  return out;
}

// Keys that have nothing to carry over, and why.
const std::map<std::string, std::string>& Unconverted() {
  static const std::map<std::string, std::string> m = {
      {"startsecs", "steward has no minimum run time; a start fails when the process exits "
                    "before it is ready (add a [ready] check), and a run of 10 s resets "
                    "max_restarts' count"},
      {"redirect_stderr", "steward captures stdout and stderr of every service into its log "
                          "pipeline; nothing to redirect"},
      {"stdout_logfile_maxbytes", "rotation belongs to a file sink ([[log.sink]] type = \"file\", "
                                  "rotate_size) in /etc/steward.toml"},
      {"stdout_logfile_backups", "rotation belongs to a file sink (keep) in /etc/steward.toml"},
      {"stderr_logfile_maxbytes", "rotation belongs to a file sink (rotate_size) in /etc/steward.toml"},
      {"stderr_logfile_backups", "rotation belongs to a file sink (keep) in /etc/steward.toml"},
      {"stdout_capture_maxbytes", "supervisord's event capture mode has no steward equivalent"},
      {"stderr_capture_maxbytes", "supervisord's event capture mode has no steward equivalent"},
      {"stdout_events_enabled", "steward has no event listeners"},
      {"stderr_events_enabled", "steward has no event listeners"},
      {"stdout_syslog", "route the service to a syslog sink instead ([log] sinks = [...])"},
      {"stderr_syslog", "route the service to a syslog sink instead ([log] sinks = [...])"},
      {"serverurl", "there is no XML-RPC server; `steward ctl` talks to steward's control socket"},
      {"process_name", "the service file is named after it"},
      {"numprocs", "one service file per process was written"},
      {"numprocs_start", "used to number the service files"},
      {"priority", "converted into depends_on (see above)"},
  };
  return m;
}

// An environment in the order its variables first appear; a later value of
// a variable replaces the earlier one in place (supervisord builds a dict: a
// program's environment overrides [supervisord]'s, the last of a repeated
// name wins), so no table ever gets a key twice.
using Env = std::vector<std::pair<std::string, std::string>>;

void SetEnv(Env* env, const std::string& key, const std::string& value) {
  for (auto& kv : *env)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  env->emplace_back(key, value);
}

// A TOML key: bare when it can be, else quoted.
std::string Key(const std::string& k) {
  bool bare = !k.empty();
  for (char c : k) bare &= isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  return bare ? k : Quote(k);
}

struct Program {
  std::string name;      // steward service name
  std::string section;   // "program:web"
  long priority = 999;
  bool enabled = true;
  std::vector<std::string> lines;  // the service file, without depends_on
};

// supervisord takes any signal name, with or without SIG (TERM, WINCH).
std::string StopSignal(const std::string& v) {
  int sig = SignalNumber(v);
  return sig ? SignalName(sig) : "";
}

// One key of a [program:x]; false with *err for a value supervisord would
// refuse too.
bool ConvertKey(const IniEntry& e, const std::string& value, Program* p,
                Env* env, std::string* err) {
  auto& out = p->lines;
  auto comment = [&](const std::string& why) {
    out.push_back(fmt::format("# supervisord: {} = {}  ({})", e.key, OneLine(e.value), why));
  };
  if (e.key == "command") {
    std::vector<std::string> argv;
    if (!SplitCommand(value, &argv, err)) return false;
    std::string a = "command = [";
    for (size_t i = 0; i < argv.size(); ++i) a += (i ? ", " : "") + Quote(argv[i]);
    out.push_back(a + "]");
  } else if (e.key == "autostart") {
    bool b;
    if (!ParseBool(value, &b)) return *err = "not a boolean (true or false)", false;
    if (!b) {
      out.push_back("enabled = false  # autostart = false: start it with `steward ctl start`");
      p->enabled = false;
    }
  } else if (e.key == "autorestart") {
    std::string v = value;
    for (char& c : v) c = char(tolower(static_cast<unsigned char>(c)));
    bool b;
    if (v == "unexpected") out.push_back("restart = \"on-failure\"  # autorestart = unexpected");
    else if (ParseBool(v, &b)) out.push_back(b ? "restart = \"always\"" : "restart = \"no\"");
    else return *err = "use true, false or unexpected", false;
  } else if (e.key == "exitcodes") {
    if (OneLine(value) != "0") comment("steward's on-failure restarts on any non-zero exit; "
                                       "only 0 is an expected exit");
  } else if (e.key == "startretries") {
    long n;
    if (!ParseInt(value, &n)) return *err = "not a number", false;
    out.push_back(fmt::format("max_restarts = {}  # startretries", n));
  } else if (e.key == "stopsignal") {
    std::string sig = StopSignal(value);
    if (sig.empty()) return *err = fmt::format("unknown signal '{}'", value), false;
    out.push_back(fmt::format("stop_signal = \"{}\"", sig));
  } else if (e.key == "stopwaitsecs") {
    long n;
    if (!ParseInt(value, &n)) return *err = "not a number", false;
    out.push_back(fmt::format("stop_grace_period = \"{}s\"  # stopwaitsecs", n));
  } else if (e.key == "stopasgroup" || e.key == "killasgroup") {
    comment("steward always signals the service's process group (kill_mode = \"group\"), "
            "so children get the stop signal and the SIGKILL too");
  } else if (e.key == "user") {
    out.push_back(fmt::format("user = {}", Quote(value)));
  } else if (e.key == "directory") {
    out.push_back(fmt::format("working_dir = {}", Quote(value)));
  } else if (e.key == "umask") {
    out.push_back(fmt::format("umask = {}", Quote(value)));
  } else if (e.key == "environment") {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!ParseEnvironment(value, &pairs, err)) return false;
    for (auto& [k, v] : pairs) SetEnv(env, k, v);
  } else if (e.key == "stdout_logfile" || e.key == "stderr_logfile") {
    std::string v = OneLine(value);
    if (v == "/dev/stdout" || v == "/dev/fd/1" || v == "/dev/stderr" || v == "/dev/fd/2" ||
        v == "/proc/self/fd/1" || v == "/proc/self/fd/2")
      comment("steward's console already gets every line (docker logs)");
    else if (v == "NONE" || v == "none")
      comment("to silence the console for this service, add [log] console = false");
    else
      comment("write files with a file sink in /etc/steward.toml ([[log.sink]] type = \"file\", "
              "path = \"/var/log/{service}.log\") and [log] sinks = [\"NAME\"] here");
  } else if (auto u = Unconverted().find(e.key); u != Unconverted().end()) {
    if (e.key != "priority" && e.key != "process_name" && e.key != "numprocs" &&
        e.key != "numprocs_start")
      comment(u->second);
  } else {
    comment("not a supervisord [program:x] key; supervisord would refuse it");
  }
  return true;
}

}  // namespace

ImportResult ConvertSupervisord(const std::vector<IniSection>& sections, const std::string& source) {
  ImportResult r;
  std::vector<std::string> notes;
  std::map<std::string, std::string> group_of;  // program -> group
  Env global_env;
  for (const IniSection& s : sections) {
    if (s.name.rfind("group:", 0) == 0) {
      if (const IniEntry* e = s.Find("programs"))
        for (size_t b = 0, c; b <= e->value.size(); b = c + 1) {
          c = std::min(e->value.find(',', b), e->value.size());
          std::string n = e->value.substr(b, c - b);
          n.erase(0, n.find_first_not_of(" \t\n"));
          n.erase(n.find_last_not_of(" \t\n") + 1);
          if (!n.empty()) group_of[n] = s.name.substr(6);
        }
      notes.push_back(fmt::format("# [{}] ({}): steward has no groups; `steward ctl` takes the "
                                  "service names", s.name, s.where));
    } else if (s.name == "supervisord") {
      for (const IniEntry& e : s.entries) {
        if (e.key == "environment") {
          std::vector<std::pair<std::string, std::string>> pairs;
          std::string err;
          ExpandContext ctx;
          ctx.here = s.here;
          std::string v;
          if (!Expand(e.value, ctx, &v, &err) || !ParseEnvironment(v, &pairs, &err)) {
            r.errors.push_back(fmt::format("{}: environment: {}", e.where, err));
            continue;
          }
          for (auto& [k, val] : pairs) SetEnv(&global_env, k, val);
          notes.push_back(fmt::format("# [supervisord] environment ({}): added to every service's "
                                      "environment", e.where));
        } else {
          notes.push_back(fmt::format(
              "# [supervisord] {} = {} ({}): {}", e.key, OneLine(e.value), e.where,
              e.key == "nodaemon" ? "steward always runs in the foreground, as PID 1"
              : e.key == "user"   ? "run the container as that user (USER, runAsUser)"
              : e.key == "minfds" || e.key == "minprocs"
                  ? "set limits = { nofile = N, nproc = N } in the service files"
                  : "supervisord's own setting; steward has its own in /etc/steward.toml"));
        }
      }
    } else if (s.name != "include" && s.name.rfind("program:", 0) != 0) {
      notes.push_back(fmt::format(
          "# [{}] ({}): {}", s.name, s.where,
          s.name.rfind("eventlistener:", 0) == 0 ? "steward has no event listeners; not converted"
          : s.name.rfind("fcgi-program:", 0) == 0
              ? "steward does not pass listening sockets; run the program with its own socket"
              : "supervisord's server and client sections: `steward ctl` replaces supervisorctl"));
    }
  }

  std::vector<Program> programs;
  std::set<std::string> names;
  for (const IniSection& s : sections) {
    if (s.name.rfind("program:", 0) != 0) continue;
    std::string pname = s.name.substr(8);
    ExpandContext ctx;
    ctx.program_name = pname;
    ctx.here = s.here;
    ctx.group_name = group_of.count(pname) ? group_of[pname] : pname;
    long numprocs = 1, start = 0;
    if (const IniEntry* e = s.Find("numprocs");
        e && (!ParseInt(e->value, &numprocs) || numprocs < 1 || numprocs > 1000)) {
      r.errors.push_back(e->where + ": numprocs: use 1 to 1000");
      numprocs = 1;
    }
    if (const IniEntry* e = s.Find("numprocs_start"); e && !ParseInt(e->value, &start))
      r.errors.push_back(e->where + ": numprocs_start: not a number");
    if (!s.Find("command")) {
      r.errors.push_back(fmt::format("{}: [{}] has no command", s.where, s.name));
      continue;
    }
    ctx.numprocs = int(numprocs);
    for (long n = start; n < start + std::max(numprocs, 1L); ++n) {
      ctx.process_num = int(n);
      Program p;
      p.section = s.name;
      std::string pn = pname, err;
      if (const IniEntry* e = s.Find("process_name")) {
        if (!Expand(e->value, ctx, &pn, &err)) r.errors.push_back(e->where + ": " + err);
      } else if (numprocs > 1) {
        pn = fmt::format("{}_{:02}", pname, n);
      }
      p.name = ServiceName(pn);
      if (!names.insert(p.name).second) {
        r.errors.push_back(fmt::format("{}: two programs make the service name '{}' (give them "
                                       "distinct process_name)", s.where, p.name));
        continue;
      }
      p.lines.push_back(fmt::format("# Imported from [{}] ({}) by `steward import supervisord {}`.",
                                    s.name, s.where, source));
      if (p.name != Quote(pname).substr(1, pname.size()))
        p.lines.push_back(fmt::format("# supervisord name: {}", pn));
      Env env = global_env;
      bool saw_retries = false, saw_wait = false;
      for (const IniEntry& e : s.entries) {
        std::string value;
        if (!Expand(e.value, ctx, &value, &err) || !ConvertKey(e, value, &p, &env, &err)) {
          r.errors.push_back(fmt::format("{}: {}: {}", e.where, e.key, err));
          continue;
        }
        saw_retries |= e.key == "startretries";
        saw_wait |= e.key == "stopwaitsecs";
        if (e.key == "priority" && !ParseInt(e.value, &p.priority))
          r.errors.push_back(e.where + ": priority: not a number");
      }
      // supervisord's defaults where they differ from steward's.
      if (!saw_retries) p.lines.push_back("max_restarts = 3  # supervisord's default startretries");
      if (!saw_wait) p.lines.push_back("stop_grace_period = \"10s\"  # supervisord's default stopwaitsecs");
      if (!env.empty()) {
        std::string t = "environment = { ";
        for (size_t i = 0; i < env.size(); ++i)
          t += (i ? ", " : "") + Key(env[i].first) + " = " + Quote(env[i].second);
        p.lines.push_back(t + " }");
      }
      programs.push_back(std::move(p));
    }
  }

  // priority: supervisord starts lower numbers first and stops them last.
  // Each level depends on the level below it, which gives steward the same
  // start and stop order (steward also waits for readiness, where a
  // service has a [ready] check).
  std::vector<long> levels;
  for (const Program& p : programs)
    if (p.enabled) levels.push_back(p.priority);
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  for (Program& p : programs) {
    auto at = std::find(levels.begin(), levels.end(), p.priority);
    std::string deps;
    if (p.enabled && at != levels.begin() && at != levels.end()) {
      for (const Program& q : programs)
        if (q.enabled && q.priority == *(at - 1)) deps += (deps.empty() ? "" : ", ") + Quote(q.name);
      p.lines.insert(p.lines.begin() + 1,
                     fmt::format("depends_on = [{}]  # priority {} starts after priority {}", deps,
                                 p.priority, *(at - 1)));
    }
    std::string text;
    for (const std::string& l : p.lines) text += l + "\n";
    r.files.push_back(ImportedFile{p.name + ".toml", text});
  }
  if (programs.empty()) r.errors.push_back(source + ": no [program:x] section");
  if (!notes.empty()) {
    std::string text = fmt::format("# What `steward import supervisord {}` did not convert, and why.\n", source);
    for (const std::string& n : notes) text += n + "\n";
    r.files.push_back(ImportedFile{"supervisord.notes", text});
  }
  return r;
}

}  // namespace steward::tools
