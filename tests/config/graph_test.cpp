#include "steward/config/graph.hpp"

#include <gtest/gtest.h>

#include "service_config.hpp"

namespace steward {
namespace {

using Waves = std::vector<std::vector<std::string>>;

ServiceConfig Svc(const std::string& name, std::vector<std::string> deps, bool enabled = true) {
  ServiceConfig s = testing::Longrun(name, std::move(deps));
  s.enabled = enabled;
  return s;
}

Config Make(std::vector<ServiceConfig> services) {
  Config c;
  c.services = std::move(services);
  return c;
}

TEST(Graph, StartWavesGroupServicesByDepth) {
  DepMap deps = BuildDepMap(Make({
      Svc("web", {"app"}),
      Svc("app", {"db", "migrate"}),
      Svc("migrate", {"db"}),
      Svc("db", {}),
      Svc("cron", {}),
  }));
  EXPECT_EQ((Waves{{"cron", "db"}, {"migrate"}, {"app"}, {"web"}}), StartWaves(deps));
}

TEST(Graph, StopOrderIsReverseOfStart) {
  DepMap deps = BuildDepMap(Make({Svc("web", {"app"}), Svc("app", {"db"}), Svc("db", {}), Svc("log", {})}));
  EXPECT_EQ((Waves{{"db", "log"}, {"app"}, {"web"}}), StartWaves(deps));
  EXPECT_EQ((Waves{{"web"}, {"app"}, {"db", "log"}}), StopOrder(deps));
}

TEST(Graph, DisabledUnknownAndSelfDependenciesAreLeftOut) {
  DepMap deps = BuildDepMap(Make({
      Svc("app", {"db", "ghost", "app", "db"}),
      Svc("db", {}, false),
  }));
  EXPECT_EQ((DepMap{{"app", {}}}), deps);
  EXPECT_EQ((Waves{{"app"}}), StartWaves(deps));
}

TEST(Graph, CycleStartsFromItsAlphabeticallyFirstService) {
  DepMap deps = BuildDepMap(Make({Svc("c", {"a"}), Svc("b", {"c"}), Svc("a", {"b"}), Svc("z", {"c"})}));
  auto cycles = FindCycles(deps);
  ASSERT_EQ(1u, cycles.size());
  EXPECT_EQ("dependency cycle: a -> b -> c -> a", FormatCycle(cycles[0]));
}

TEST(Graph, CycleEnteredFromOutsideIsStillRotated) {
  // The search enters at "a", which is not on the cycle; the text must
  // still start at the cycle's own first name.
  DepMap deps = {{"a", {"x"}}, {"x", {"y"}}, {"y", {"z"}}, {"z", {"x"}}};
  auto cycles = FindCycles(deps);
  ASSERT_EQ(1u, cycles.size());
  EXPECT_EQ("dependency cycle: x -> y -> z -> x", FormatCycle(cycles[0]));
}

TEST(Graph, EveryIndependentCycleIsFound) {
  DepMap deps = BuildDepMap(Make({Svc("a", {"b"}), Svc("b", {"a"}), Svc("c", {"d"}), Svc("d", {"c"})}));
  auto cycles = FindCycles(deps);
  ASSERT_EQ(2u, cycles.size());
  EXPECT_EQ("dependency cycle: a -> b -> a", FormatCycle(cycles[0]));
  EXPECT_EQ("dependency cycle: c -> d -> c", FormatCycle(cycles[1]));
}

TEST(Graph, AcyclicGraphHasNoCycles) {
  DepMap deps = BuildDepMap(Make({Svc("a", {"b", "c"}), Svc("b", {"c"}), Svc("c", {})}));
  EXPECT_TRUE(FindCycles(deps).empty());
}

TEST(Graph, ServicesOnOrBehindACycleGetNoWave) {
  DepMap deps = {{"a", {"b"}}, {"b", {"a"}}, {"c", {"a"}}, {"d", {}}};
  EXPECT_EQ((Waves{{"d"}}), StartWaves(deps));
}

TEST(Graph, DotHasEdgesAndLoneNodes) {
  Config c = Make({Svc("web", {"app"}), Svc("app", {"db", "cache"}), Svc("db", {}), Svc("cache", {}),
                   Svc("off", {}, false)});
  EXPECT_EQ(
      "digraph steward {\n"
      "  \"app\" -> \"cache\";\n"
      "  \"app\" -> \"db\";\n"
      "  \"cache\";\n"
      "  \"db\";\n"
      "  \"web\" -> \"app\";\n"
      "}\n",
      GraphDot(c));
}

}  // namespace
}  // namespace steward
