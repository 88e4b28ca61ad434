#include "steward/config/env_file.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace steward {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

Vars Parse(const std::string& text) {
  Vars out;
  std::string err;
  EXPECT_TRUE(ParseEnvText("test.env", text, &out, &err)) << err;
  return out;
}

std::string ParseError(const std::string& text) {
  Vars out;
  std::string err;
  EXPECT_FALSE(ParseEnvText("test.env", text, &out, &err));
  return err;
}

TEST(EnvFile, KeyValueLinesCommentsAndBlankLines) {
  EXPECT_EQ((Vars{{"A", "1"}, {"B", "two words"}, {"C", ""}}),
            Parse("# a comment\nA=1\n\n   # indented comment\nB=two words\nC=\n"));
}

TEST(EnvFile, ExportPrefixIsIgnored) {
  EXPECT_EQ((Vars{{"PATH_X", "/x"}}), Parse("export PATH_X=/x\n"));
}

TEST(EnvFile, UnquotedValueIsTrimmedAndLosesTrailingComment) {
  EXPECT_EQ((Vars{{"A", "b"}, {"C", "d#e"}, {"F", "g"}}), Parse("A = b   # note\nC=d#e\nF=g\r\n"));
}

TEST(EnvFile, SingleQuotesAreLiteral) {
  EXPECT_EQ((Vars{{"A", "x $y \\n # z"}}), Parse("A='x $y \\n # z'  # comment\n"));
}

TEST(EnvFile, DoubleQuotesHaveEscapes) {
  EXPECT_EQ((Vars{{"A", "line1\nline2 \"q\" \\ $ \\w"}}),
            Parse("A=\"line1\\nline2 \\\"q\\\" \\\\ \\$ \\w\"\n"));
  EXPECT_EQ((Vars{{"B", "  padded  "}}), Parse("B=\"  padded  \"\n"));
}

TEST(EnvFile, LastLineWithoutNewline) {
  EXPECT_EQ((Vars{{"A", "1"}, {"B", "2"}}), Parse("A=1\nB=2"));
}

TEST(EnvFile, ErrorsNameFileAndLineButNeverTheText) {
  // A line of an env file may hold a secret: messages give its position only.
  EXPECT_EQ("test.env:3: expected KEY=VALUE", ParseError("A=1\n\nhunter2\n"));
  EXPECT_EQ("test.env:1: invalid variable name", ParseError("1A=x\n"));
  EXPECT_EQ("test.env:1: invalid variable name", ParseError("=hunter2\n"));
  EXPECT_EQ("test.env:2: missing closing '\"'", ParseError("A=1\nB=\"open\n"));
  EXPECT_EQ("test.env:1: missing closing \"'\"", ParseError("B='open\n"));
  EXPECT_EQ("test.env:1: unexpected text after the closing quote", ParseError("B='x' y\n"));
}

}  // namespace
}  // namespace steward
