// The scratch-tree fixture the LoadConfig tests share (config_*_test.cpp).
// Not in an anonymous namespace: every test of the suite uses this one class.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <string>
#include <vector>

#include "steward/config/config.hpp"

namespace steward::testing_config {

using Errors = std::vector<std::string>;



// A scratch tree per test: services/, steward.toml and a fake image root
// with etc/passwd and etc/group. Removed afterwards.
class ConfigLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    mkdir((dir_ + "/services").c_str(), 0755);
    mkdir((dir_ + "/etc").c_str(), 0755);
    WriteFile(dir_ + "/etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\n"
              "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
              "app:x:1000:1000::/home/app:/bin/sh\n");
    WriteFile(dir_ + "/etc/group", "root:x:0:\nwww-data:x:33:\napp:x:1000:\ndocker:x:999:app\n");
    req_.services_dir = dir_ + "/services";
    req_.root = dir_;
  }

  void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0644) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(ssize_t(text.size()), write(fd, text.data(), text.size()));
    fchmod(fd, mode);  // the umask must not decide what the test checks
    close(fd);
  }
  void Service(const std::string& name, const std::string& text) { WriteFile(P(name), text); }
  void Global(const std::string& text) {
    req_.config_file = G();
    WriteFile(G(), text);
  }
  std::string P(const std::string& name) const { return dir_ + "/services/" + name + ".toml"; }
  std::string G() const { return dir_ + "/steward.toml"; }

  bool Load() {
    errors_.clear();
    return LoadConfig(req_, &config_, &errors_);
  }
  // Loads and expects success; returns the named service.
  const ServiceConfig& Loaded(const std::string& name) {
    EXPECT_TRUE(Load());
    EXPECT_EQ(Errors{}, errors_);
    const ServiceConfig* s = config_.Find(name);
    static const ServiceConfig kMissing;
    EXPECT_NE(nullptr, s) << name;
    return s ? *s : kMissing;
  }
  // Loads one service file and expects exactly these errors.
  Errors ErrorsOf(const std::string& text) {
    Service("web", text);
    EXPECT_FALSE(Load());
    return errors_;
  }

  testing::TempDir tmp_{"config"};
  std::string dir_ = tmp_.path();
  LoadRequest req_;
  Config config_;
  Errors errors_;
};

// ---- directory and files ------------------------------------------------

}  // namespace steward::testing_config
