// Health as `ctl status` and the log show it (issue 19 items 6 and 8): the
// check's output is kept for ctl status, never written to the service's
// log; a service that is not running has no health.
#include <signal.h>

#include <gtest/gtest.h>

#include "control_support.hpp"

namespace steward::testing::controlled {
namespace {

TEST(ControlHealth, CheckOutputIsInStatusNotInTheLog) {
  Set set;
  set.Add("app", "command = \"echo app-line; exec sleep 1000\"\n"
                 "[healthcheck]\ntest = [\"CMD-SHELL\", \"echo probe-said-ok; echo probe-err >&2\"]\n"
                 "interval = \"100ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Cell(Ctl(set, {"status"}).out, "app", 6) == "healthy"; }))
      << p.Stderr();
  // Several checks ran meanwhile; "healthy" was logged once, on the change.
  std::this_thread::sleep_for(milliseconds(400));
  CtlResult status = Ctl(set, {"status", "app"});
  EXPECT_NE(std::string::npos, status.out.find("app last health check: probe-said-ok\n")) << status.out;
  CtlResult json = Ctl(set, {"status", "--json"});
  EXPECT_NE(std::string::npos, json.out.find("\"health_check\":\"probe-said-ok\\nprobe-err\""))
      << json.out;
  CtlResult logs = Ctl(set, {"logs", "app"});
  EXPECT_NE(std::string::npos, logs.out.find("app-line")) << logs.out;
  EXPECT_EQ(std::string::npos, logs.out.find("probe-")) << logs.out;
  EXPECT_EQ(std::string::npos, p.Stdout().find("probe-")) << p.Stdout();
  EXPECT_EQ(1u, Grep(p.Stderr(), "app: healthy").size()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(ControlHealth, AStoppedServiceHasNoHealth) {
  Set set;
  set.Add("redis", "command = \"exec sleep 1000\"\n"
                   "[healthcheck]\ntest = [\"CMD\", \"true\"]\ninterval = \"100ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Cell(Ctl(set, {"status"}).out, "redis", 6) == "healthy"; }))
      << p.Stderr();
  CtlResult r = Ctl(set, {"stop", "redis"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("stopped redis\n", r.out);
  std::string table = Ctl(set, {"status"}).out;
  EXPECT_EQ("stopped", Cell(table, "redis", 1)) << table;
  EXPECT_EQ("-", Cell(table, "redis", 6)) << table;
  EXPECT_EQ(std::string::npos, table.find("last health check")) << table;
  EXPECT_EQ(1, Ctl(set, {"health"}).code);
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing::controlled
