#include "steward/log/sinks/rotating_file.hpp"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace steward::log {
namespace {

class RotatingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/steward-rotate-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
  }
  void TearDown() override { system(("rm -rf " + dir_).c_str()); }

  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Exists(const std::string& name) { return access((dir_ + "/" + name).c_str(), F_OK) == 0; }

  RotatingFile::Reporter Reporter() {
    return [this](bool error, const std::string& text) {
      messages_.push_back((error ? "error: " : "info: ") + text);
    };
  }

  std::string dir_;
  std::vector<std::string> messages_;
};

TEST_F(RotatingFileTest, AppendsLines) {
  RotatingFile f("files", dir_ + "/a.log", 0, 5, Reporter());
  EXPECT_TRUE(f.Append("one\n"));
  EXPECT_TRUE(f.Append("two\nthree\n"));
  EXPECT_EQ("one\ntwo\nthree\n", Read("a.log"));
  EXPECT_TRUE(messages_.empty());
}

// A name the filesystem refuses can never be written: the lines are given
// up and counted (sink_error.hpp), not kept for a retry that cannot succeed.
TEST_F(RotatingFileTest, APermanentErrorGivesTheLinesUpAndCountsThem) {
  RotatingFile f("files", dir_ + "/" + std::string(300, 'n') + ".log", 0, 5, Reporter());
  EXPECT_TRUE(f.Append("one\ntwo\nthree\n"));
  EXPECT_FALSE(f.pending());
  uint64_t lines = 0;
  SinkRejection why;
  ASSERT_TRUE(f.TakeRejected(&lines, &why));
  EXPECT_EQ(3u, lines);
  EXPECT_EQ("open:" + std::to_string(ENAMETOOLONG) + ":" + f.path(), why.cause);
  EXPECT_NE(std::string::npos, why.text.find("files: cannot open "));
  EXPECT_NE(std::string::npos,
            why.text.find(": File name too long (shorten the sink's path); its records are dropped for this sink"));
  EXPECT_FALSE(f.TakeRejected(&lines, &why));
  EXPECT_TRUE(messages_.empty());  // announced by the sink, once per cause
}

// A transient error keeps the lines and retries them.
TEST_F(RotatingFileTest, ATransientErrorKeepsTheLines) {
  RotatingFile f("files", dir_ + "/missing-dir-file/a.log", 0, 5, Reporter());
  { std::ofstream block(dir_ + "/missing-dir-file"); }  // a file where the directory should be
  EXPECT_FALSE(f.Append("one\n"));
  EXPECT_TRUE(f.pending());
  uint64_t lines = 0;
  SinkRejection why;
  EXPECT_FALSE(f.TakeRejected(&lines, &why));
  ASSERT_EQ(1u, messages_.size());
  EXPECT_NE(std::string::npos, messages_[0].find("lines are kept and retried"));
  unlink((dir_ + "/missing-dir-file").c_str());
  EXPECT_TRUE(f.Retry());
  EXPECT_EQ("one\n", Read("missing-dir-file/a.log"));
}

TEST_F(RotatingFileTest, CreatesMissingDirectories) {
  RotatingFile f("files", dir_ + "/x/y/web.log", 0, 5, Reporter());
  EXPECT_TRUE(f.Append("hi\n"));
  EXPECT_EQ("hi\n", Read("x/y/web.log"));
}

TEST_F(RotatingFileTest, RotatesBetweenLinesAndKeepsKeepFiles) {
  RotatingFile f("files", dir_ + "/a.log", 10, 2, Reporter());
  // 4-byte lines: two fit in 10 bytes, a third would pass it.
  for (const char* line : {"l01\n", "l02\n", "l03\n", "l04\n", "l05\n", "l06\n", "l07\n"}) {
    EXPECT_TRUE(f.Append(line));
  }
  EXPECT_EQ("l07\n", Read("a.log"));
  EXPECT_EQ("l05\nl06\n", Read("a.log.1"));
  EXPECT_EQ("l03\nl04\n", Read("a.log.2"));
  EXPECT_FALSE(Exists("a.log.3"));  // l01, l02: rotated out
}

TEST_F(RotatingFileTest, ABatchIsCutAtLineBoundaries) {
  RotatingFile f("files", dir_ + "/a.log", 10, 3, Reporter());
  EXPECT_TRUE(f.Append("aaa\nbbb\nccc\nddd\neee\n"));
  EXPECT_EQ("eee\n", Read("a.log"));
  EXPECT_EQ("ccc\nddd\n", Read("a.log.1"));
  EXPECT_EQ("aaa\nbbb\n", Read("a.log.2"));
}

TEST_F(RotatingFileTest, ALineLongerThanRotateSizeGetsAFileOfItsOwn) {
  RotatingFile f("files", dir_ + "/a.log", 10, 3, Reporter());
  EXPECT_TRUE(f.Append("ab\n0123456789abcdef\ncd\n"));
  EXPECT_EQ("cd\n", Read("a.log"));
  EXPECT_EQ("0123456789abcdef\n", Read("a.log.1"));
  EXPECT_EQ("ab\n", Read("a.log.2"));
}

TEST_F(RotatingFileTest, KeepZeroKeepsOnlyTheCurrentFile) {
  RotatingFile f("files", dir_ + "/a.log", 8, 0, Reporter());
  EXPECT_TRUE(f.Append("aaa\nbbb\nccc\n"));
  EXPECT_EQ("ccc\n", Read("a.log"));
  EXPECT_FALSE(Exists("a.log.1"));
}

TEST_F(RotatingFileTest, ContinuesAnExistingFile) {
  {
    RotatingFile f("files", dir_ + "/a.log", 10, 1, Reporter());
    EXPECT_TRUE(f.Append("aaa\nbbb\n"));
  }
  RotatingFile f("files", dir_ + "/a.log", 10, 1, Reporter());
  EXPECT_EQ(0u, f.size());  // opened lazily
  EXPECT_TRUE(f.Append("ccc\n"));
  EXPECT_EQ("ccc\n", Read("a.log"));
  EXPECT_EQ("aaa\nbbb\n", Read("a.log.1"));
}

TEST_F(RotatingFileTest, OpenErrorIsReportedOnceAndLinesWaitForRetry) {
  // A regular file where the directory should be: ENOTDIR, even for root.
  ASSERT_EQ(0, system(("touch " + dir_ + "/blocker").c_str()));
  RotatingFile f("files", dir_ + "/blocker/web.log", 0, 1, Reporter());
  EXPECT_FALSE(f.Append("one\n"));
  EXPECT_FALSE(f.Append("two\n"));
  EXPECT_FALSE(f.Retry());
  EXPECT_TRUE(f.pending());
  ASSERT_EQ(1u, messages_.size());
  // The walk's reason names the parent (safe_path.hpp).
  EXPECT_EQ(0u, messages_[0].find("error: files: cannot open " + dir_ + "/blocker/web.log: " + dir_ +
                                  "/blocker: is "))
      << messages_[0];
  EXPECT_NE(std::string::npos,
            messages_[0].find(", not a directory (create the directory or change the sink's path); "
                              "lines are kept and retried"))
      << messages_[0];
  ASSERT_EQ(0, unlink((dir_ + "/blocker").c_str()));
  EXPECT_TRUE(f.Retry());
  EXPECT_FALSE(f.pending());
  EXPECT_EQ("one\ntwo\n", Read("blocker/web.log"));
  ASSERT_EQ(2u, messages_.size());
  EXPECT_EQ("info: files: writing " + dir_ + "/blocker/web.log again", messages_[1]);
}

// A full disk, as the kernel reports it to a writer that hits a size limit
// mid-line (EFBIG after a short write): the line is finished later, in the
// same file, before any rotation.
TEST_F(RotatingFileTest, WriteErrorMidLineKeepsTheRestPending) {
  struct rlimit old;
  ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &old));
  struct sigaction ign = {}, saved;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ign, &saved);
  RotatingFile f("files", dir_ + "/a.log", 30, 1, Reporter());
  struct rlimit small = {14, old.rlim_max};
  ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &small));
  bool first = f.Append("0123456789\nabcdefghi\n");
  ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &old));
  sigaction(SIGXFSZ, &saved, nullptr);
  EXPECT_FALSE(first);
  EXPECT_EQ("0123456789\nabc", Read("a.log"));
  ASSERT_EQ(1u, messages_.size());
  EXPECT_NE(std::string::npos, messages_[0].find("cannot write " + dir_ + "/a.log: File too large"))
      << messages_[0];
  // Later lines wait for the retry (the sink's back-off timer). The rest
  // of the cut line goes first, into the same file, then the next line
  // would pass rotate_size and rotates.
  EXPECT_FALSE(f.Append("0123456789xy\n"));
  EXPECT_TRUE(f.Retry());
  EXPECT_EQ("0123456789\nabcdefghi\n", Read("a.log.1"));
  EXPECT_EQ("0123456789xy\n", Read("a.log"));
  ASSERT_EQ(2u, messages_.size());
}

}  // namespace
}  // namespace steward::log
