// Reading the global file (SPEC §5 [log] and its sinks, §6 control_group,
// §7 config_volume) into a GlobalConfig.
#include <fmt/format.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "config_read.hpp"
#include "steward/config/users.hpp"

namespace steward {

namespace {

// ---- [[log.sink]] ----------------------------------------------------

struct SinkDraft {
  SinkConfig s;
  bool type_ok = false;  // type given and valid: type-specific checks apply
};

const Choice<SinkConfig::Type> kSinkTypes[] = {{"syslog", SinkConfig::Type::kSyslog},
                                               {"file", SinkConfig::Type::kFile},
                                               {"json", SinkConfig::Type::kJson},
                                               {"relp", SinkConfig::Type::kRelp}};

const char* TypeWord(SinkConfig::Type t) {
  switch (t) {
    case SinkConfig::Type::kSyslog: return "syslog";
    case SinkConfig::Type::kFile: return "file";
    case SinkConfig::Type::kJson: return "json";
    case SinkConfig::Type::kRelp: return "relp";
  }
  return "?";
}

bool ValidSinkUrl(std::string_view url) {
  std::string host;
  uint16_t port;
  for (std::string_view scheme : {"tcp://", "udp://", "tls://"}) {
    if (url.substr(0, scheme.size()) == scheme)
      return ParseHostPort(url.substr(scheme.size()), &host, &port);
  }
  std::string_view unix_scheme = "unix://";
  return url.substr(0, unix_scheme.size()) == unix_scheme && url.size() > unix_scheme.size() + 1 &&
         url[unix_scheme.size()] == '/';
}

void ReadSinkUrl(FileCtx& c, const toml::node& v, SinkDraft* d) {
  std::string url;
  if (!ReadString(c, v, "log.sink.url", &url)) return;
  if (!ValidSinkUrl(url)) {
    c.Error(v,
            fmt::format("'log.sink.url' must be tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT "
                        "or unix:///PATH, not \"{}\"",
                        url));
    return;
  }
  d->s.url = std::move(url);
}

// RFC 5424 facility codes; 12-15 have no portable names.
const char* const kFacilities[] = {"kern", "user", "mail", "daemon", "auth",     "syslog",
                                   "lpr",  "news", "uucp", "cron",   "authpriv", "ftp"};

void ReadFacility(FileCtx& c, const toml::node& v, SinkDraft* d) {
  if (v.is_integer()) {
    int64_t n;
    if (ReadInt(c, v, "log.sink.facility", 0, 23, &n)) d->s.facility = int(n);
    return;
  }
  std::string name;
  if (!ReadString(c, v, "log.sink.facility", &name)) return;
  for (int i = 0; i < 12; ++i) {
    if (name == kFacilities[i]) return void(d->s.facility = i);
  }
  if (name.size() == 6 && name.substr(0, 5) == "local" && name[5] >= '0' && name[5] <= '7') {
    d->s.facility = 16 + (name[5] - '0');
    return;
  }
  c.Error(v, fmt::format("unknown facility '{}' (use kern, user, mail, daemon, auth, syslog, lpr, "
                         "news, uucp, cron, authpriv, ftp, local0 to local7 or 0 to 23)",
                         name));
}

// A file steward must read at every connection: missing or unreadable is a
// configuration error now rather than an outage later.
void ReadTlsFile(FileCtx& c, const toml::node& v, const char* label, std::string* out) {
  std::string path;
  if (!ReadAbsolutePath(c, v, label, &path)) return;
  if (access(path.c_str(), R_OK) != 0) {
    c.Error(v, fmt::format("'{}': cannot read {}: {}", label, path, strerror(errno)));
    return;
  }
  *out = std::move(path);
}

void ReadSinkSize(FileCtx& c, const toml::node& v, const char* label, uint64_t* out) {
  uint64_t n;
  if (!ReadSize(c, v, label, &n)) return;
  if (n == 0) return c.Error(v, fmt::format("'{}' must be more than 0", label));
  *out = n;
}

const Key<SinkDraft> kSinkKeys[] = {
    {"name",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadString(c, v, "log.sink.name", &d->s.name);
     }},
    {"type",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       d->type_ok = ReadChoice(c, v, "log.sink.type", kSinkTypes, &d->s.type);
     }},
    {"url", ReadSinkUrl},
    {"framing",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       static const Choice<bool> kFraming[] = {{"octet-counting", true}, {"lf", false}};
       ReadChoice(c, v, "log.sink.framing", kFraming, &d->s.octet_counting);
     }},
    {"format",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       static const Choice<bool> kFormats[] = {{"rfc5424", false}, {"rfc3164", true}};
       ReadChoice(c, v, "log.sink.format", kFormats, &d->s.rfc3164);
     }},
    {"facility", ReadFacility},
    {"hostname",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadString(c, v, "log.sink.hostname", &d->s.hostname);
     }},
    {"services",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadStrings(c, v, "log.sink.services", &d->s.services);
     }},
    {"buffer",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadSinkSize(c, v, "log.sink.buffer", &d->s.buffer);
     }},
    {"overflow",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       static const Choice<bool> kOverflow[] = {{"drop-oldest", false}, {"block", true}};
       ReadChoice(c, v, "log.sink.overflow", kOverflow, &d->s.overflow_block);
     }},
    {"path",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadAbsolutePath(c, v, "log.sink.path", &d->s.path);
     }},
    {"rotate_size",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadSinkSize(c, v, "log.sink.rotate_size", &d->s.rotate_size);
     }},
    {"keep",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       int64_t n;
       if (ReadInt(c, v, "log.sink.keep", 0, 1000, &n)) d->s.keep = int(n);
     }},
    {"window",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       int64_t n;
       if (ReadInt(c, v, "log.sink.window", 1, 65536, &n)) d->s.window = int(n);
     }},
    {"tls_ca",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadTlsFile(c, v, "log.sink.tls_ca", &d->s.tls_ca);
     }},
    {"tls_cert",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadTlsFile(c, v, "log.sink.tls_cert", &d->s.tls_cert);
     }},
    {"tls_key",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadTlsFile(c, v, "log.sink.tls_key", &d->s.tls_key);
     }},
    {"tls_server_name",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       std::string name;
       if (!ReadString(c, v, "log.sink.tls_server_name", &name)) return;
       if (name.empty()) return c.Error(v, "'log.sink.tls_server_name' must not be empty");
       d->s.tls_server_name = std::move(name);
     }},
    {"tls_verify",
     [](FileCtx& c, const toml::node& v, SinkDraft* d) {
       ReadBool(c, v, "log.sink.tls_verify", &d->s.tls_verify);
     }},
};

// A key that does nothing for this type of sink is an error rather than
// silently ignored: `path` on a syslog sink is a mistake, not a setting.
bool KeyAppliesTo(std::string_view key, SinkConfig::Type type) {
  static const char* const kSyslogMessage[] = {"format", "facility", "hostname"};
  static const char* const kFileOnly[] = {"path", "rotate_size", "keep"};
  auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), key) != std::end(list);
  };
  if (key == "framing") return type == SinkConfig::Type::kSyslog;
  if (in(kSyslogMessage)) return type == SinkConfig::Type::kSyslog || type == SinkConfig::Type::kRelp;
  if (in(kFileOnly)) return type == SinkConfig::Type::kFile;
  if (key == "window") return type == SinkConfig::Type::kRelp;
  if (key == "url" || key.substr(0, 4) == "tls_") return type != SinkConfig::Type::kFile;
  return true;
}

void CheckTls(FileCtx& c, const toml::table& t, const SinkConfig& s) {
  bool tls = s.url.substr(0, 6) == "tls://";
  for (auto [k, v] : InSourceOrder(t)) {
    if (k->str().substr(0, 4) == "tls_" && !tls && !s.url.empty())
      c.ErrorAt(k->source(), fmt::format("'{}' applies only to tls:// urls", k->str()));
  }
  if (!tls) return;
  if (t.contains("tls_cert") && !t.contains("tls_key"))
    c.Error(*t.get("tls_cert"), "'tls_cert' needs 'tls_key' (the client certificate's private key)");
  if (t.contains("tls_key") && !t.contains("tls_cert"))
    c.Error(*t.get("tls_key"), "'tls_key' needs 'tls_cert' (the client certificate)");
  if (t.contains("tls_ca") && !s.tls_verify && t.contains("tls_verify"))
    c.Error(*t.get("tls_ca"), "'tls_ca' is not used with tls_verify = false");
}

void CheckSinkKinds(FileCtx& c, const toml::table& t, const SinkConfig& s) {
  const char* type = TypeWord(s.type);
  for (auto [k, v] : InSourceOrder(t)) {
    if (!KeyAppliesTo(k->str(), s.type))
      c.ErrorAt(k->source(), fmt::format("'{}' does not apply to a {} sink", k->str(), type));
  }
  bool file = s.type == SinkConfig::Type::kFile;
  if (!t.contains(file ? "path" : "url"))
    c.ErrorAt(t.source(), fmt::format("a {} sink needs a '{}'", type, file ? "path" : "url"));
  bool tcp = s.url.substr(0, 6) == "tcp://";
  bool stream = tcp || s.url.substr(0, 6) == "tls://";
  if ((s.type == SinkConfig::Type::kJson || s.type == SinkConfig::Type::kRelp) && !s.url.empty() &&
      !stream)
    c.Error(*t.get("url"), fmt::format("a {} sink needs a tcp:// or tls:// url", type));
  if (s.type == SinkConfig::Type::kSyslog && !s.url.empty() && !tcp && t.contains("framing"))
    c.Error(*t.get("framing"), "'framing' applies only to tcp:// urls");
  if (!file) CheckTls(c, t, s);
}

void ReadSink(FileCtx& c, const toml::table& t, std::set<std::string>* names, LogConfig* log) {
  SinkDraft d;
  ReadKeys(c, t, "log.sink", kSinkKeys, &d);
  if (!t.contains("name"))
    c.ErrorAt(t.source(), "[[log.sink]] needs a 'name'");
  else if (!d.s.name.empty() && !names->insert(d.s.name).second)
    c.Error(*t.get("name"), fmt::format("duplicate sink name '{}'", d.s.name));
  if (!t.contains("type"))
    c.ErrorAt(t.source(), "[[log.sink]] needs a 'type' (\"syslog\", \"relp\", \"json\" or \"file\")");
  if (d.type_ok) CheckSinkKinds(c, t, d.s);
  // A file sink's backlog is memory (only while its file is in trouble);
  // a network sink's is a spool file.
  if (d.s.type == SinkConfig::Type::kFile && !t.contains("buffer")) d.s.buffer = kFileSinkBuffer;
  if (!d.s.name.empty()) log->sinks.push_back(std::move(d.s));
}

void ReadSinks(FileCtx& c, const toml::node& v, LogConfig* log) {
  const auto* a = v.as_array();
  if (!a || !a->is_array_of_tables()) {
    c.Error(v, fmt::format("'log.sink' must be an array of tables ([[log.sink]]), not {}",
                           TypeName(v)));
    return;
  }
  std::set<std::string> names;
  for (const toml::node& e : *a) ReadSink(c, *e.as_table(), &names, log);
}

// ---- [log] and the top level -----------------------------------------

const Choice<LogConfig::Console> kConsoles[] = {{"prefixed", LogConfig::Console::kPrefixed},
                                                {"raw", LogConfig::Console::kRaw},
                                                {"json", LogConfig::Console::kJson},
                                                {"off", LogConfig::Console::kOff}};

const Key<LogConfig> kLogKeys[] = {
    {"console",
     [](FileCtx& c, const toml::node& v, LogConfig* l) {
       ReadChoice(c, v, "log.console", kConsoles, &l->console);
     }},
    {"console_overflow",
     [](FileCtx& c, const toml::node& v, LogConfig* l) {
       static const Choice<bool> kOverflow[] = {{"block", false}, {"drop-oldest", true}};
       ReadChoice(c, v, "log.console_overflow", kOverflow, &l->console_drop_oldest);
     }},
    {"max_line",
     [](FileCtx& c, const toml::node& v, LogConfig* l) {
       ReadSinkSize(c, v, "log.max_line", &l->max_line);
     }},
    {"partial_flush",
     [](FileCtx& c, const toml::node& v, LogConfig* l) {
       ReadDuration(c, v, "log.partial_flush", &l->partial_flush);
     }},
    {"ring",
     [](FileCtx& c, const toml::node& v, LogConfig* l) {
       ReadSize(c, v, "log.ring", &l->ring);  // 0: `ctl logs` keeps nothing
     }},
    {"syslog_socket",
     [](FileCtx& c, const toml::node& v, LogConfig* l) {
       ReadString(c, v, "log.syslog_socket", &l->syslog_socket);
     }},
    {"sink", ReadSinks},
};

// The control socket's group is resolved here, like a service's user: PID 1
// is static and cannot ask NSS later.
void ReadControlGroup(FileCtx& c, const toml::node& v, GlobalConfig* g) {
  if (!ReadString(c, v, "control_group", &g->control_group) || g->control_group.empty()) return;
  gid_t gid;
  std::string err;
  if (c.users->LookupGroup(g->control_group, &gid, &err))
    g->control_gid = gid;
  else
    c.Error(v, err);
}

const Key<GlobalConfig> kGlobalKeys[] = {
    {"shutdown_timeout",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       Duration d;
       if (ReadDuration(c, v, "shutdown_timeout", &d)) g->shutdown_timeout = d;
     }},
    {"grace",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       Duration d;
       if (ReadDuration(c, v, "grace", &d)) g->grace = d;
     }},
    {"kill_mode",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       ReadKillMode(c, v, "kill_mode", &g->kill_mode);
     }},
    {"control_group", ReadControlGroup},
    {"config_volume",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       ReadAbsolutePath(c, v, "config_volume", &g->config_volume);
     }},
    {"config_volume_watch",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       ReadBool(c, v, "config_volume_watch", &g->config_volume_watch);
     }},
    {"config_volume_settle",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       ReadDuration(c, v, "config_volume_settle", &g->config_volume_settle);
     }},
    {"log",
     [](FileCtx& c, const toml::node& v, GlobalConfig* g) {
       if (const toml::table* t = ReadTable(c, v, "log")) ReadKeys(c, *t, "log", kLogKeys, &g->log);
     }},
};

}  // namespace

void ReadGlobalTable(FileCtx& c, const toml::table& t, GlobalConfig* out) {
  ReadKeys(c, t, "", kGlobalKeys, out);
}

}  // namespace steward
