#include "steward/log/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace steward::log {
namespace {

struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(0, pipe2(fds, O_CLOEXEC | O_NONBLOCK));
    r.Reset(fds[0]);
    w.Reset(fds[1]);
  }
  void Write(const std::string& s) { ASSERT_EQ(ssize_t(s.size()), write(w.get(), s.data(), s.size())); }
  UniqueFd r, w;
};

UniqueFd Dup(const UniqueFd& fd) { return UniqueFd(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0)); }

TEST(Journal, SplicesThePipeAndReadsItBack) {
  std::string err;
  UniqueFd mem = Journal::Create("t", &err);
  ASSERT_TRUE(mem) << err;
  Journal j;
  ASSERT_TRUE(j.Open(Dup(mem), &err)) << err;
  EXPECT_EQ(Journal::kDataStart, j.cursor());
  EXPECT_EQ(Journal::kDataStart, j.end());
  Pipe p;
  p.Write("hello\nwor");
  EXPECT_EQ(9, j.SpliceFrom(p.r.get(), 1 << 20));
  EXPECT_EQ(-1, j.SpliceFrom(p.r.get(), 1 << 20));  // empty pipe
  EXPECT_EQ(EAGAIN, errno);
  std::string got;
  ASSERT_TRUE(j.Read(j.cursor(), &got));
  EXPECT_EQ("hello\nwor", got);
  p.w.Reset();
  EXPECT_EQ(0, j.SpliceFrom(p.r.get(), 1 << 20));  // end of file
}

// What a new forwarder sees after the old one was killed: the bytes after
// the stored cursor, whatever it had read into its own memory.
TEST(Journal, ANewOpenResumesFromTheCommittedCursor) {
  std::string err;
  UniqueFd mem = Journal::Create("t", &err);
  Pipe p;
  {
    Journal j;
    ASSERT_TRUE(j.Open(Dup(mem), &err));
    p.Write("one\ntwo\nthr");
    j.SpliceFrom(p.r.get(), 1 << 20);
    j.Commit(j.cursor() + 4);  // "one\n" delivered
  }
  p.Write("ee\n");
  Journal j;
  ASSERT_TRUE(j.Open(Dup(mem), &err));
  EXPECT_EQ(Journal::kDataStart + 4, j.cursor());
  j.SpliceFrom(p.r.get(), 1 << 20);
  std::string got;
  ASSERT_TRUE(j.Read(j.cursor(), &got));
  EXPECT_EQ("two\nthree\n", got);
}

// The forwarder's view: the same bytes as Read(), from the mapping, across
// growth of the memfd, a new window and punched pages before the cursor.
TEST(Journal, ViewShowsTheBytesAfterFromAsTheyGrow) {
  std::string err;
  UniqueFd mem = Journal::Create("t", &err);
  Journal j;
  ASSERT_TRUE(j.Open(Dup(mem), &err));
  Pipe p;
  std::string scratch;
  std::string_view v;
  p.Write("one\ntw");
  ASSERT_EQ(6, j.SpliceFrom(p.r.get(), 1 << 20));
  ASSERT_TRUE(j.View(j.cursor(), &scratch, &v));
  EXPECT_EQ("one\ntw", v);
  p.Write("o\n");
  j.SpliceFrom(p.r.get(), 1 << 20);
  ASSERT_TRUE(j.View(Journal::kDataStart + 6, &scratch, &v));
  EXPECT_EQ("o\n", v);
  // 9 MiB more: past the first mapped window, with pages punched behind.
  std::string chunk(60000, 'x');
  chunk.back() = '\n';
  uint64_t total = 8;
  for (int i = 0; i < 160; ++i) {
    p.Write(chunk);
    ASSERT_EQ(ssize_t(chunk.size()), j.SpliceFrom(p.r.get(), 1 << 20));
    uint64_t from = j.end() - chunk.size();
    ASSERT_TRUE(j.View(from, &scratch, &v));
    ASSERT_EQ(chunk, v) << i;
    j.Commit(j.end());
    total += chunk.size();
  }
  EXPECT_EQ(Journal::kDataStart + total, j.end());
  EXPECT_FALSE(j.View(j.end() + 1, &scratch, &v));
  ASSERT_TRUE(j.View(j.end(), &scratch, &v));
  EXPECT_EQ("", v);
}

TEST(Journal, CommitNeverMovesBack) {
  std::string err;
  UniqueFd mem = Journal::Create("t", &err);
  Journal j;
  ASSERT_TRUE(j.Open(Dup(mem), &err));
  Pipe p;
  p.Write("abcdef");
  j.SpliceFrom(p.r.get(), 100);
  j.Commit(Journal::kDataStart + 4);
  j.Commit(Journal::kDataStart + 2);
  EXPECT_EQ(Journal::kDataStart + 4, j.cursor());
}

TEST(Journal, PunchesDeliveredPagesSoMemoryStaysSmall) {
  std::string err;
  UniqueFd mem = Journal::Create("t", &err);
  Journal j;
  ASSERT_TRUE(j.Open(Dup(mem), &err));
  Pipe p;
  std::string chunk(60000, 'x');
  for (int i = 0; i < 100; ++i) {  // 6 MB through the journal
    p.Write(chunk);
    while (j.SpliceFrom(p.r.get(), 1 << 20) > 0) {
    }
    j.Commit(j.end());
  }
  struct stat st;
  ASSERT_EQ(0, fstat(mem.get(), &st));
  EXPECT_EQ(off_t(j.end()), st.st_size);  // logical size keeps growing
  EXPECT_LT(st.st_blocks * 512, 1 << 20);  // but the pages are gone
}

TEST(Journal, RejectsWhatIsNotAJournal) {
  Journal j;
  std::string err;
  EXPECT_FALSE(j.Open(UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC)), &err));
  EXPECT_EQ("not a log journal", err);
}

}  // namespace
}  // namespace steward::log
