// The file sink's backlog (issues 18.2, 24.1): a file in trouble holds back
// only itself; the backlog is bounded by `buffer` and `overflow` decides at
// the bound; the trouble is problem() until a retry finds it fixed.
#include "steward/log/sinks/file_sink.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace steward::log {
namespace {

class FileSinkBacklog : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = ev_loop_new(EVFLAG_AUTO);
    char tmpl[] = "/tmp/steward-filesink-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
    ASSERT_EQ(0, chown(dir_.c_str(), 65534, 65534));  // a service's: nothing in it is followed
    cfg_.name = "files";
    cfg_.type = SinkConfig::Type::kFile;
    cfg_.path = dir_ + "/logs/{service}.log";
    cfg_.buffer = 100;
    // A regular file where the directory should be: ENOTDIR, a transient
    // problem (even for root), fixed by removing it.
    std::ofstream(dir_ + "/logs") << "";
  }
  void TearDown() override {
    sink_.reset();
    ev_loop_destroy(loop_);
    system(("rm -rf " + dir_).c_str());
  }

  void Make() {
    sink_ = std::make_unique<FileSink>(loop_, 0, cfg_, [this](Sink*) { ++ready_; });
    sink_->on_problem = [this] { problems_.push_back(sink_->problem()); };
  }
  // n records "NAME-1" ... "NAME-n" of service svc, then the commit point.
  bool Write(const std::string& svc, int from, int to) {
    for (int i = from; i <= to; ++i) {
      Record r;
      r.time_us = 1795638662123456;
      r.service = svc;
      r.line = fmt::format("{}-{}", svc, i);
      sink_->Add(r, svc);
    }
    return sink_->Flush();
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Runs the loop (the retry timer) until done() or 10 s.
  bool RunUntil(const std::function<bool()>& done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      ev_run(loop_, EVRUN_ONCE);
    }
    return true;
  }

  struct ev_loop* loop_;
  std::string dir_;
  SinkConfig cfg_;
  std::unique_ptr<FileSink> sink_;
  int ready_ = 0;
  std::vector<std::string> problems_;
};

// Each line is "2026-11-25T16:31:02.123456Z web stdout web-N\n": 45 bytes
// for N < 10, so two fit in buffer = 100.
TEST_F(FileSinkBacklog, DropOldestKeepsTheBatchSafeAndDropsTheOldestAtTheBound) {
  Make();
  EXPECT_TRUE(Write("web", 1, 5));  // safe: in the backlog
  EXPECT_FALSE(sink_->outstanding());
  EXPECT_TRUE(sink_->Idle());  // a sink in trouble is not waited for at shutdown
  EXPECT_EQ(3u, sink_->dropped());
  EXPECT_EQ(90u, sink_->backlog());
  std::vector<std::string> notices = sink_->TakeNotices();
  ASSERT_EQ(1u, notices.size());
  EXPECT_EQ(0u, notices[0].find("files: " + dir_ + "/logs/web.log: the backlog reached buffer = "
                                "100 bytes, the oldest records are dropped while it cannot be "
                                "written (cannot open " + dir_ + "/logs/web.log: "))
      << notices[0];
  EXPECT_NE(std::string::npos, notices[0].find("; create the directory or change the sink's path)"))
      << notices[0];
  ASSERT_EQ(1u, problems_.size());
  EXPECT_EQ(0u, problems_[0].find("cannot open " + dir_ + "/logs/web.log: ")) << problems_[0];
  // Once per cause: the next drops are only counted.
  EXPECT_TRUE(Write("web", 6, 7));
  EXPECT_EQ(5u, sink_->dropped());
  EXPECT_TRUE(sink_->TakeNotices().empty());
  // Fixed: the retry picks it up, the newest lines arrive, the problem clears.
  ASSERT_EQ(0, unlink((dir_ + "/logs").c_str()));
  ASSERT_TRUE(RunUntil([&] { return !Read(dir_ + "/logs/web.log").empty(); }));
  std::string text = Read(dir_ + "/logs/web.log");
  EXPECT_EQ(std::string::npos, text.find("web-5\n"));
  EXPECT_NE(std::string::npos, text.find(" web stdout web-6\n"));
  EXPECT_NE(std::string::npos, text.find(" web stdout web-7\n"));
  ASSERT_EQ(2u, problems_.size());
  EXPECT_EQ("", problems_[1]);
  EXPECT_EQ(0, ready_);  // never outstanding
}

TEST_F(FileSinkBacklog, BlockHoldsTheSourcesAtTheBoundUntilTheBacklogIsWritten) {
  cfg_.overflow_block = true;
  Make();
  EXPECT_TRUE(Write("web", 1, 2));  // 90 bytes: room
  EXPECT_FALSE(Write("web", 3, 3)); // past the bound: outstanding
  EXPECT_TRUE(sink_->outstanding());
  EXPECT_FALSE(sink_->Idle());
  EXPECT_EQ(0u, sink_->dropped());
  ASSERT_EQ(0, unlink((dir_ + "/logs").c_str()));
  ASSERT_TRUE(RunUntil([&] { return ready_ > 0; }));
  EXPECT_FALSE(sink_->outstanding());
  std::string text = Read(dir_ + "/logs/web.log");
  EXPECT_NE(std::string::npos, text.find("web-1\n"));
  EXPECT_NE(std::string::npos, text.find("web-3\n"));
  EXPECT_EQ(3, std::count(text.begin(), text.end(), '\n'));
}

// The attacker's file is a link: its records are refused (counted, one
// notice naming the path), the other service's file is written at once.
TEST_F(FileSinkBacklog, ARefusedFileDoesNotHoldBackAnotherFile) {
  ASSERT_EQ(0, unlink((dir_ + "/logs").c_str()));
  ASSERT_EQ(0, mkdir((dir_ + "/logs").c_str(), 0755));
  ASSERT_EQ(0, symlink("/etc/passwd", (dir_ + "/logs/evil.log").c_str()));
  Make();
  EXPECT_TRUE(Write("evil", 1, 3));
  EXPECT_TRUE(Write("good", 1, 3));
  std::string good = Read(dir_ + "/logs/good.log");
  EXPECT_EQ(3, std::count(good.begin(), good.end(), '\n')) << good;
  EXPECT_EQ(3u, sink_->rejected());
  EXPECT_EQ(0u, sink_->dropped());
  std::vector<std::string> notices = sink_->TakeNotices();
  ASSERT_EQ(1u, notices.size());
  EXPECT_EQ(0u, notices[0].find("files: cannot open " + dir_ + "/logs/evil.log")) << notices[0];
  EXPECT_EQ(0u, sink_->problem().find("cannot open " + dir_ + "/logs/evil.log")) << sink_->problem();
  EXPECT_TRUE(Write("evil", 4, 4));
  EXPECT_EQ(4u, sink_->rejected());
  EXPECT_TRUE(sink_->TakeNotices().empty());
  EXPECT_EQ(0, ready_);
}

// Two files in trouble: problem() names the first and counts the others.
TEST_F(FileSinkBacklog, TheProblemNamesOneFileAndCountsTheOthers) {
  cfg_.buffer = 1 << 20;
  Make();
  EXPECT_TRUE(Write("a", 1, 1));
  EXPECT_TRUE(Write("b", 1, 1));
  EXPECT_TRUE(Write("c", 1, 1));
  EXPECT_EQ(0u, sink_->problem().find("cannot open " + dir_ + "/logs/a.log: ")) << sink_->problem();
  EXPECT_NE(std::string::npos, sink_->problem().find(" (and 2 more files)")) << sink_->problem();
}

}  // namespace
}  // namespace steward::log
