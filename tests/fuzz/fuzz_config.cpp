// libFuzzer target: the configuration loader end to end (SPEC §3, §5, §7):
// a service file and a global file, with ${VAR} interpolation and
// STEWARD_PROFILE=dev, read from a scratch directory. The input is the two
// files separated by a line "%%": the first becomes services/app.toml, the
// second steward.toml. LoadConfig must return errors, never crash or throw.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "steward/config/config.hpp"

namespace {

std::string g_dir;

// The scratch directory goes when the fuzzer exits (libFuzzer calls exit()).
void RemoveScratch() {
  for (const char* f : {"/services/app.toml", "/services/db.toml", "/steward.toml", "/etc/passwd", "/etc/group"}) {
    unlink((g_dir + f).c_str());
  }
  for (const char* d : {"/services", "/etc", ""}) rmdir((g_dir + d).c_str());
}

void Put(const std::string& path, std::string_view text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) abort();
  if (write(fd, text.data(), text.size()) != ssize_t(text.size())) abort();
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/steward-fuzz-config-XXXXXX";
  if (!mkdtemp(tmpl)) abort();
  g_dir = tmpl;
  atexit(RemoveScratch);
  mkdir((g_dir + "/services").c_str(), 0755);
  mkdir((g_dir + "/etc").c_str(), 0755);
  Put(g_dir + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n");
  Put(g_dir + "/etc/group", "root:x:0:\nwww:x:33:\n");
  Put(g_dir + "/services/db.toml", "command = [\"db\"]\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find("\n%%\n");
  std::string_view service = in.substr(0, cut);
  std::string_view global = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 4);
  Put(g_dir + "/services/app.toml", service);
  Put(g_dir + "/steward.toml", global);
  steward::LoadRequest req;
  req.services_dir = g_dir + "/services";
  req.config_file = g_dir + "/steward.toml";
  req.root = g_dir;
  req.profile = "dev";
  req.env = {{"APP_ENV", "dev"}, {"PORT", "8080"}, {"EMPTY", ""}};
  steward::Config cfg;
  std::vector<std::string> errors;
  bool ok = steward::LoadConfig(req, &cfg, &errors);
  if (!ok && errors.empty()) abort();  // a refusal always says why
  return 0;
}
