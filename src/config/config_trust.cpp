// Who may write what steward reads its configuration from (SPEC "Trust",
// §3): the services directory, the global file, each service file, and a
// service's env_files, which PID 1 reads at load (errors, the reload diff)
// as it does at each start.
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "config_read.hpp"
#include "steward/config/env_file.hpp"
#include "steward/util/safe_path.hpp"

namespace steward {

std::string UntrustedConfig(int fd, const struct stat& st, const std::string& path,
                            bool directory) {
  std::string who = WhoElseCanWrite(st, uid_t(-1));
  if (who.empty()) return "";
  // On a read-only mount no one can write it, whatever its mode says: the
  // kubelet mounts a ConfigMap as a directory of mode 0777, read-only.
  struct statvfs vfs;
  if ((fd >= 0 ? fstatvfs(fd, &vfs) : statvfs(path.c_str(), &vfs)) == 0 && (vfs.f_flag & ST_RDONLY))
    return "";
  std::string fix = TrustFix(st, path, uid_t(-1));
  const char* whom = (st.st_mode & S_IWOTH) ? "anyone in the container" : "another user";
  if (directory)
    return fmt::format("refusing the services directory {}: {}: {} could add a service that "
                       "steward runs ({})",
                       path, who, whom, fix);
  return fmt::format("refusing a file {}: {} could change what steward runs ({})", who, whom, fix);
}

void CheckEnvFiles(FileCtx& c, const toml::table& t, ServiceConfig* s) {
  s->env_digest.clear();
  if (!s->enabled || s->env_files.empty()) return;
  const toml::node* at = t.get("env_file");
  uid_t owner = s->identity.set ? s->identity.uid : uid_t(-1);
  for (const std::string& file : s->env_files) {
    EnvFileRead env = ReadEnvFile(file, owner);
    s->env_digest += EnvDigestPart(env);
    // A missing file is not an error: a oneshot earlier in the graph may
    // write it. The service's start fails while it is still missing.
    if (!env.missing && !env.error.empty()) {
      std::string message = "env_file " + env.error;
      if (at) c.Error(*at, std::move(message));
      else c.ErrorAtStart(std::move(message));
    }
  }
}

}  // namespace steward
