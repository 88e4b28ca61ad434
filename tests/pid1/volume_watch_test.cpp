// VolumeWatcher against a real inotify and a real libev loop, in a temporary directory.
#include "steward/pid1/volume_watch.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace steward {
namespace {

class VolumeWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = ev_loop_new(EVFLAG_AUTO);
  }
  void TearDown() override {
    watcher_.reset();
    ev_loop_destroy(loop_);
  }
  void Watch(Duration settle = Duration(50)) {
    watcher_ = std::make_unique<VolumeWatcher>(loop_, dir_, settle, [this] { ++changes_; });
    std::string err;
    ASSERT_TRUE(watcher_->Start(&err)) << err;
  }
  void Write(const std::string& rel, const std::string& content) {
    int fd = open((dir_ + "/" + rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0) << rel;
    ASSERT_EQ(ssize_t(content.size()), write(fd, content.data(), content.size()));
    close(fd);
  }
  // Runs the loop for `seconds` of wall time (a generous bound, not a
  // measurement), or until `until` changes have been reported.
  void Run(double seconds, int until = 1 << 30) {
    ev_timer guard;
    ev_timer_init(&guard, [](struct ev_loop* l, ev_timer*, int) { ev_break(l, EVBREAK_ONE); },
                  seconds, 0);
    ev_timer_start(loop_, &guard);
    while (ev_is_active(&guard) && changes_ < until) ev_run(loop_, EVRUN_ONCE);
    ev_timer_stop(loop_, &guard);
  }

  struct ev_loop* loop_ = nullptr;
  testing::TempDir tmp_{"watch"};
  std::string dir_ = tmp_.path();
  std::unique_ptr<VolumeWatcher> watcher_;
  int changes_ = 0;
};

TEST_F(VolumeWatchTest, NothingHappensNothingIsReported) {
  Watch();
  Run(0.3);
  EXPECT_EQ(0, changes_);
}

TEST_F(VolumeWatchTest, ABurstOfWritesIsOneChangeAfterTheSettle) {
  Watch(Duration(200));
  Write("a.conf", "1");
  Write("b.conf", "2");
  Write("a.conf", "3");
  Run(10, 1);
  EXPECT_EQ(1, changes_);
  Run(0.5);  // the settle timer does not fire again by itself
  EXPECT_EQ(1, changes_);
}

TEST_F(VolumeWatchTest, ANewDirectoryIsWatchedToo) {
  Watch();
  ASSERT_EQ(0, mkdir((dir_ + "/etc").c_str(), 0755));
  Run(10, 1);
  ASSERT_EQ(1, changes_);
  Write("etc/nginx.conf", "worker_processes 2;");
  Run(10, 2);
  EXPECT_EQ(2, changes_);
}

TEST_F(VolumeWatchTest, AChangeInADeepDirectoryThatExistedAtStartIsSeen) {
  ASSERT_EQ(0, mkdir((dir_ + "/etc").c_str(), 0755));
  ASSERT_EQ(0, mkdir((dir_ + "/etc/app").c_str(), 0755));
  Write("etc/app/app.conf", "a");
  Watch();
  EXPECT_EQ(3u, watcher_->watches());
  Write("etc/app/app.conf", "b");
  Run(10, 1);
  EXPECT_EQ(1, changes_);
}

// What the kubelet does to a ConfigMap volume on an update: a new
// timestamped directory, a ..data_tmp link to it renamed over ..data, the
// old directory removed. The keys are links into ..data and never change.
TEST_F(VolumeWatchTest, AKubernetesConfigMapSwapIsOneChange) {
  ASSERT_EQ(0, mkdir((dir_ + "/..2026_12_01_20_00_00.1").c_str(), 0755));
  Write("..2026_12_01_20_00_00.1/app.conf", "v1");
  ASSERT_EQ(0, symlink("..2026_12_01_20_00_00.1", (dir_ + "/..data").c_str()));
  ASSERT_EQ(0, symlink("..data/app.conf", (dir_ + "/app.conf").c_str()));
  Watch(Duration(200));
  ASSERT_EQ(0, mkdir((dir_ + "/..2026_12_01_20_05_00.2").c_str(), 0755));
  Write("..2026_12_01_20_05_00.2/app.conf", "v2");
  ASSERT_EQ(0, symlink("..2026_12_01_20_05_00.2", (dir_ + "/..data_tmp").c_str()));
  ASSERT_EQ(0, rename((dir_ + "/..data_tmp").c_str(), (dir_ + "/..data").c_str()));
  ASSERT_EQ(0, system(("rm -rf '" + dir_ + "/..2026_12_01_20_00_00.1'").c_str()));
  Run(10, 1);
  EXPECT_EQ(1, changes_);
  Run(0.5);
  EXPECT_EQ(1, changes_);
}

TEST_F(VolumeWatchTest, AMissingVolumeIsAnErrorNamingIt) {
  VolumeWatcher w(loop_, "/nonexistent/config", Duration(50), [] {});
  std::string err;
  EXPECT_FALSE(w.Start(&err));
  EXPECT_EQ("inotify_add_watch(/nonexistent/config): No such file or directory", err);
}

}  // namespace
}  // namespace steward
