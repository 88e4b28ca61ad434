#include "steward/config/interpolate.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

const EnvMap kEnv = {{"A", "a"}, {"B", "b"}, {"EMPTY", ""}, {"URL", "db:5432"}};

std::string Expand(const char* text) {
  std::string out, err;
  EXPECT_TRUE(Interpolate(text, kEnv, &out, &err)) << text << ": " << err;
  return out;
}

std::string ExpandError(const char* text) {
  std::string out, err;
  EXPECT_FALSE(Interpolate(text, kEnv, &out, &err)) << text << " gave " << out;
  return err;
}

TEST(Interpolate, TextWithoutDollarIsUnchanged) {
  EXPECT_EQ("plain text {}", Expand("plain text {}"));
  EXPECT_EQ("", Expand(""));
}

TEST(Interpolate, BracedAndBareForms) {
  EXPECT_EQ("a-b", Expand("${A}-$B"));
  EXPECT_EQ("postgres://db:5432/x", Expand("postgres://${URL}/x"));
  EXPECT_EQ("a.b", Expand("$A.$B"));  // a bare name stops at the first non-name character
}

TEST(Interpolate, DoubleDollarIsLiteral) {
  EXPECT_EQ("cost $5, ${A}, $A", Expand("cost $$5, $${A}, $$A"));
}

TEST(Interpolate, ColonDashDefaultsWhenUnsetOrEmpty) {
  EXPECT_EQ("prod", Expand("${APP_ENV:-prod}"));
  EXPECT_EQ("fallback", Expand("${EMPTY:-fallback}"));
  EXPECT_EQ("a", Expand("${A:-unused}"));
  EXPECT_EQ("", Expand("${NOPE:-}"));
}

TEST(Interpolate, DashDefaultsOnlyWhenUnset) {
  EXPECT_EQ("", Expand("${EMPTY-fallback}"));
  EXPECT_EQ("fallback", Expand("${NOPE-fallback}"));
}

TEST(Interpolate, DefaultsAreInterpolatedToo) {
  EXPECT_EQ("a", Expand("${NOPE:-${A}}"));
  EXPECT_EQ("x-b-y", Expand("${NOPE:-x-${NOPE2:-$B}-y}"));
}

TEST(Interpolate, UnsetWithoutDefaultIsAnError) {
  EXPECT_EQ("variable 'NOPE' is not set (use ${NOPE:-default} for a default)", ExpandError("x ${NOPE} y"));
  EXPECT_EQ("variable 'NOPE' is not set (use ${NOPE:-default} for a default)", ExpandError("$NOPE"));
}

TEST(Interpolate, RequiredGivesTheMessage) {
  EXPECT_EQ("variable 'DB' is not set or empty: set DB to the database URL",
            ExpandError("${DB:?set DB to the database URL}"));
  EXPECT_EQ("variable 'EMPTY' is not set or empty", ExpandError("${EMPTY:?}"));
  EXPECT_EQ("variable 'NOPE' is not set: needed", ExpandError("${NOPE?needed}"));
  EXPECT_EQ("", Expand("${EMPTY?only unset fails}"));
  EXPECT_EQ("a", Expand("${A:?never shown}"));
}

TEST(Interpolate, LoneDollarIsAnErrorThatSuggestsDoubleDollar) {
  EXPECT_EQ("invalid '$' in \"echo $1\" (write '$$' for a literal '$')", ExpandError("echo $1"));
  EXPECT_EQ("invalid '$' in \"grep 'x$'\" (write '$$' for a literal '$')", ExpandError("grep 'x$'"));
}

TEST(Interpolate, MalformedBracesAreErrors) {
  EXPECT_EQ("unterminated '${' in \"${A\"", ExpandError("${A"));
  EXPECT_EQ("unterminated '${' in \"${A:-${B}\"", ExpandError("${A:-${B}"));
  EXPECT_EQ("invalid variable reference '${1X}'", ExpandError("${1X}"));
  EXPECT_EQ("invalid variable reference '${}'", ExpandError("${}"));
  EXPECT_EQ("invalid variable reference '${A:x}'", ExpandError("${A:x}"));
  EXPECT_EQ("invalid variable reference '${A:}'", ExpandError("${A:}"));
}

// Where it failed and why: templates report line:column, --allow-unset
// tells an unset variable from a mistake in the text.
InterpolateFailure Failure(const std::string& text) {
  std::string out, err;
  InterpolateFailure why;
  EXPECT_FALSE(Interpolate(text, kEnv, &out, &err, &why)) << text << " gave " << out;
  return why;
}

TEST(Interpolate, AFailureKnowsItsOffsetAndWhetherAVariableIsUnset) {
  EXPECT_EQ(4u, Failure("a = ${NOPE}").offset);
  EXPECT_TRUE(Failure("a = ${NOPE}").unset);
  EXPECT_TRUE(Failure("$NOPE").unset);
  EXPECT_TRUE(Failure("x ${DB:?set DB}").unset);
  EXPECT_EQ(2u, Failure("x ${DB:?set DB}").offset);
  EXPECT_EQ(14u, Failure("${A:-b}, ${X:-${NOPE}}").offset);  // the inner reference
  EXPECT_FALSE(Failure("ok ${A} $1").unset);
  EXPECT_EQ(9u, Failure("ok ${A}  $1").offset);
  EXPECT_FALSE(Failure("${A").unset);
}

TEST(Interpolate, LineColumnOfAnOffset) {
  size_t line, column;
  std::string text = "first\nport = ${PORT}\n";
  LineColumn(text, text.find('$'), &line, &column);
  EXPECT_EQ(2u, line);
  EXPECT_EQ(8u, column);
  LineColumn(text, 0, &line, &column);
  EXPECT_EQ(1u, line);
  EXPECT_EQ(1u, column);
}

TEST(Interpolate, AnErrorInAManyLineTextQuotesItsLineOnly) {
  EXPECT_EQ("invalid '$' in \"cost: 5$\" (write '$$' for a literal '$')",
            ExpandError("a: 1\ncost: 5$\nb: 2\n"));
}

}  // namespace
}  // namespace steward
