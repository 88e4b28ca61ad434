// Reading one service file (SPEC §3) into a ServiceConfig: every key, its
// type, range and default. Cross-service checks (depends_on, main) are in
// config.cpp, which sees all services.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "config_read.hpp"
#include "steward/util/signals.hpp"
#include "steward/config/privileges.hpp"
#include "steward/config/users.hpp"

namespace steward {

namespace {

// A service while its file is read: user and group are resolved together
// once both are known.
struct ServiceDraft {
  ServiceConfig* cfg;
  std::string user, group;
};

using K = Key<ServiceDraft>;

void ReadSignal(FileCtx& c, const toml::node& v, const char* label, int* out) {
  std::string name;
  if (const auto* i = v.as_integer()) {
    name = std::to_string(i->get());
  } else if (const auto* s = v.as_string()) {
    name = s->get();
  } else {
    c.Error(v,
            fmt::format("'{}' must be a signal name like \"SIGTERM\", not {}", label, TypeName(v)));
    return;
  }
  if (int sig = SignalNumber(name)) {
    *out = sig;
  } else {
    c.Error(v, fmt::format("unknown signal '{}'", name));
  }
}

void ReadUmask(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  const auto* s = v.as_string();
  bool ok = s && !s->get().empty() && s->get().size() <= 4 &&
            s->get().find_first_not_of("01234567") == std::string::npos;
  mode_t mask = ok ? mode_t(std::stoul(s->get(), nullptr, 8)) : 0;
  if (!ok || mask > 0777) {
    std::string got = s ? fmt::format("\"{}\"", s->get()) : TypeName(v);
    c.Error(v, fmt::format("'umask' must be an octal string like \"022\", not {}", got));
    return;
  }
  d->cfg->umask = mask;
}

// docker-compose turns numbers and booleans into strings; so do we.
bool EnvValue(const toml::node& v, std::string* out) {
  if (const auto* s = v.as_string())
    *out = s->get();
  else if (const auto* i = v.as_integer())
    *out = std::to_string(i->get());
  else if (const auto* f = v.as_floating_point())
    *out = fmt::format("{}", f->get());
  else if (const auto* b = v.as_boolean())
    *out = b->get() ? "true" : "false";
  else
    return false;
  return true;
}

void ReadEnvironment(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  const toml::table* t = ReadTable(c, v, "environment");
  if (!t) return;
  for (auto [k, value] : InSourceOrder(*t)) {
    if (k->str().empty() || k->str().find('=') != std::string::npos) {
      c.ErrorAt(k->source(), fmt::format("invalid variable name '{}' in 'environment'", k->str()));
      continue;
    }
    std::string s;
    if (!EnvValue(*value, &s)) {
      c.Error(*value, fmt::format("'environment.{}' must be a string, number or boolean, not {}",
                                  k->str(), TypeName(*value)));
      continue;
    }
    d->cfg->environment.emplace_back(k->str(), std::move(s));
  }
}

// Relative paths are relative to the service file, as in docker-compose.
// The files are not opened here: they are read at each start (SPEC §3),
// and may be written by a oneshot that runs first.
void ReadEnvFiles(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  std::vector<std::string> files;
  if (const auto* s = v.as_string()) {
    files.push_back(s->get());
  } else if (!v.is_array()) {
    c.Error(v,
            fmt::format("'env_file' must be a string or an array of strings, not {}", TypeName(v)));
    return;
  } else if (!ReadStrings(c, v, "env_file", &files)) {
    return;
  }
  for (std::string& f : files) {
    if (f.empty()) {
      c.Error(v, "'env_file' must not contain an empty path");
      return;
    }
    if (f[0] != '/') f = c.Dir() + "/" + f;
  }
  d->cfg->env_files = std::move(files);
}

void ReadDependsOn(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  std::vector<std::string> deps;
  if (!ReadStrings(c, v, "depends_on", &deps)) return;
  for (std::string& dep : deps) {  // a repeated name means nothing more
    if (std::find(d->cfg->depends_on.begin(), d->cfg->depends_on.end(), dep) ==
        d->cfg->depends_on.end())
      d->cfg->depends_on.push_back(std::move(dep));
  }
}

void ReadLimits(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  ReadLimitsTable(c, v, &d->cfg->limits);
}

void ReadReady(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  ReadReadyTable(c, v, &d->cfg->ready);
}

void ReadHealth(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  ReadHealthTable(c, v, &d->cfg->healthcheck);
}

// ---- [log] -----------------------------------------------------------

void ReadLogSinks(FileCtx& c, const toml::node& v, ServiceLogConfig* log) {
  std::vector<std::string> names;
  if (!ReadStrings(c, v, "log.sinks", &names)) return;
  if (c.sinks) {
    std::vector<std::string> known(c.sinks->begin(), c.sinks->end());
    for (const toml::node& e : *v.as_array()) {
      const std::string& name = e.as_string()->get();
      if (!c.sinks->count(name))
        c.Error(e, fmt::format("unknown sink '{}' in log.sinks{}", name, Suggest(name, known)));
    }
  }
  log->sinks = std::move(names);
}

const Key<ServiceLogConfig> kLogKeys[] = {
    {"console",
     [](FileCtx& c, const toml::node& v, ServiceLogConfig* l) {
       ReadBool(c, v, "log.console", &l->console);
     }},
    {"sinks", ReadLogSinks},
    {"prefix",
     [](FileCtx& c, const toml::node& v, ServiceLogConfig* l) {
       ReadString(c, v, "log.prefix", &l->prefix);
     }},
};

void ReadServiceLog(FileCtx& c, const toml::node& v, ServiceDraft* d) {
  if (const toml::table* t = ReadTable(c, v, "log")) ReadKeys(c, *t, "log", kLogKeys, &d->cfg->log);
}

// ---- the top level ---------------------------------------------------

const Choice<ServiceType> kTypes[] = {{"longrun", ServiceType::kLongrun},
                                      {"oneshot", ServiceType::kOneshot}};
const Choice<RestartPolicy> kRestarts[] = {{"no", RestartPolicy::kNo},
                                           {"on-failure", RestartPolicy::kOnFailure},
                                           {"always", RestartPolicy::kAlways}};
const Choice<OnFailure> kOnFailure[] = {{"ignore", OnFailure::kIgnore},
                                        {"shutdown", OnFailure::kShutdown}};

const K kServiceKeys[] = {
    {"command",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadCommand(c, v, "command", &d->cfg->command);
     }},
    {"type",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadChoice(c, v, "type", kTypes, &d->cfg->type);
     }},
    {"depends_on", ReadDependsOn},
    {"main",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadBool(c, v, "main", &d->cfg->main);
     }},
    {"enabled",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadBool(c, v, "enabled", &d->cfg->enabled);
     }},
    {"restart",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadChoice(c, v, "restart", kRestarts, &d->cfg->restart);
     }},
    {"restart_delay",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadPositiveDuration(c, v, "restart_delay", &d->cfg->restart_delay);
     }},
    {"restart_delay_max",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadPositiveDuration(c, v, "restart_delay_max", &d->cfg->restart_delay_max);
     }},
    {"max_restarts",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadIntKey(c, v, "max_restarts", 0, &d->cfg->max_restarts);
     }},
    {"on_failure",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadChoice(c, v, "on_failure", kOnFailure, &d->cfg->on_failure);
     }},
    {"stop_signal",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadSignal(c, v, "stop_signal", &d->cfg->stop_signal);
     }},
    {"stop_grace_period",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadDuration(c, v, "stop_grace_period", &d->cfg->stop_grace_period);
     }},
    {"stop_command",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadCommand(c, v, "stop_command", &d->cfg->stop_command);
     }},
    {"kill_mode",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadKillMode(c, v, "kill_mode", &d->cfg->kill_mode);
     }},
    {"user",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadString(c, v, "user", &d->user);
     }},
    {"group",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadString(c, v, "group", &d->group);
     }},
    {"working_dir",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadAbsolutePath(c, v, "working_dir", &d->cfg->working_dir);
     }},
    {"pid_file",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadAbsolutePath(c, v, "pid_file", &d->cfg->pid_file);
     }},
    {"umask", ReadUmask},
    {"environment", ReadEnvironment},
    {"env_file", ReadEnvFiles},
    {"clear_env",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadBool(c, v, "clear_env", &d->cfg->clear_env);
     }},
    {"no_new_privileges",
     [](FileCtx& c, const toml::node& v, ServiceDraft* d) {
       ReadBool(c, v, "no_new_privileges", &d->cfg->no_new_privileges);
     }},
    {"limits", ReadLimits},
    {"ready", ReadReady},
    {"healthcheck", ReadHealth},
    {"log", ReadServiceLog},
};

void ResolveUser(FileCtx& c, const toml::table& t, const ServiceDraft& d) {
  if (d.user.empty() && d.group.empty()) return;
  std::string err;
  bool group_at_fault;
  if (!ResolveIdentity(c.users, d.user, d.group, &d.cfg->identity, &err, &group_at_fault)) {
    c.Error(*t.get(group_at_fault ? "group" : "user"), err);
    return;
  }
  if (!c.self) return;
  std::string written = d.user.empty() ? "" : fmt::format("user = \"{}\"", d.user);
  if (!d.group.empty())
    written += fmt::format("{}group = \"{}\"", written.empty() ? "" : ", ", d.group);
  std::string problem = IdentitySwitchProblem(d.cfg->identity, written, *c.self);
  bool group_only = d.user.empty() || (!d.group.empty() && d.cfg->identity.uid == c.self->uid);
  if (!problem.empty()) c.Error(*t.get(group_only ? "group" : "user"), problem);
}

// What only makes sense once every key is read.
void CheckService(FileCtx& c, const toml::table& t, ServiceDraft* d) {
  ServiceConfig& s = *d->cfg;
  if (!t.contains("command")) c.ErrorAtStart("missing 'command'");
  if (s.type == ServiceType::kOneshot) {
    if (!t.contains("restart")) s.restart = RestartPolicy::kNo;
    if (s.restart == RestartPolicy::kAlways)
      c.Error(*t.get("restart"),
              "a oneshot cannot have restart = \"always\" (it would run forever)");
    if (t.contains("ready"))
      c.Error(*t.get("ready"), "a oneshot cannot have [ready]: it is ready when it exits with 0");
    if (t.contains("pid_file"))
      c.Error(*t.get("pid_file"), "a oneshot cannot have 'pid_file': only a longrun's daemon is "
                                  "supervised by its pid file");
  }
  if (s.restart_delay > s.restart_delay_max && t.contains("restart_delay")) {
    c.Error(*t.get("restart_delay"),
            fmt::format("'restart_delay' ({}) is longer than 'restart_delay_max' ({})",
                        FormatDuration(s.restart_delay), FormatDuration(s.restart_delay_max)));
  }
  ResolveUser(c, t, *d);
}

}  // namespace

void ReadServiceTable(FileCtx& c, const toml::table& t, ServiceConfig* out) {
  ServiceDraft d{out, "", ""};
  ReadKeys(c, t, "", kServiceKeys, &d);
  CheckService(c, t, &d);
}

}  // namespace steward
