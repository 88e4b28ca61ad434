// PID 1's own stderr on a FIFO that is open for reading but never read (a
// blocking log driver whose remote end stalled; SPEC §1 "Trust"), while a
// crash-looping service makes steward log on every restart: PID 1 still
// reaps, answers `ctl` and stops on SIGTERM; once the FIFO is read again,
// what was held back is counted, not lost silently.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "fault_support.hpp"
#include "steward/util/fd.hpp"

namespace steward::testing {
namespace {

using std::chrono::seconds;

// Fills the pipe behind fifo with whole lines until it takes no more.
void Fill(const std::string& fifo) {
  UniqueFd w(open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(w);
  while (write(w.get(), "filler\n", 7) == 7) {
  }
}

int Restarts(const std::string& json) {
  std::smatch m;
  return std::regex_search(json, m, std::regex("\"restarts\":([0-9]+)")) ? std::stoi(m[1]) : -1;
}

TEST(FaultStderr, StderrNobodyReadsNeverStopsPid1) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  set.Add("crash", "command = [\"/bin/false\"]\nrestart_delay = \"1ms\"\nrestart_delay_max = \"1ms\"\n");
  std::string fifo = set.path("stderr.fifo");
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));
  // Open for reading, never read; and as small as a pipe gets.
  UniqueFd reader(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(reader);
  ASSERT_GT(fcntl(reader.get(), F_SETPIPE_SZ, 4096), 0);
  RunOptions o;
  o.stderr_path = fifo;
  Process p(set.Args(), o);
  ASSERT_TRUE(WaitFor([&] { return Exists(set.path("run/control.sock")); }));
  Fill(fifo);  // whatever steward left of the pipe: from here it takes nothing

  // Hundreds of restarts, each one logged, all with stderr full: every
  // `ctl status` is answered meanwhile.
  int restarts = 0;
  for (int tries = 0; tries < 600 && restarts < 300; ++tries) {
    CtlResult st = RunCtl(set.path("run"), {"status", "crash", "--json"});
    ASSERT_EQ(0, st.code) << st.err;
    restarts = Restarts(st.out);
  }
  ASSERT_GE(restarts, 300);

  // The FIFO is read again from here on, to its end.
  std::string got;
  std::thread drain([&] {
    fcntl(reader.get(), F_SETFL, 0);
    char buf[4096];
    for (ssize_t n; (n = read(reader.get(), buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
  });
  p.Signal(SIGTERM);
  int code = p.Wait(seconds(30));
  if (code < 0) p.Signal(SIGKILL);  // never leave the drain thread waiting
  drain.join();
  EXPECT_EQ(0, code);
  // Whole lines only, and the restarts that were held back are counted.
  for (const std::string& l : Lines(got)) {
    EXPECT_TRUE(l == "filler" || l.rfind("steward: ", 0) == 0) << l;
  }
  std::vector<std::string> held = Grep(got, "steward: warning: held back ");
  ASSERT_FALSE(held.empty()) << got;
  EXPECT_NE(std::string::npos, held[0].find(" more messages like \"crash: ")) << held[0];
}

}  // namespace
}  // namespace steward::testing
