#include "steward/config/toml_guard.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

TEST(TomlGuard, NonAsciiInsideStringsAndCommentsIsFine) {
  size_t line = 0, col = 0;
  EXPECT_FALSE(FindBareNonAscii("a = \"caf\xc3\xa9\" # d\xc3\xa9j\xc3\xa0\nb = 'x\xcc\x9f'\n", &line, &col));
  EXPECT_FALSE(FindBareNonAscii("a = \"\"\"\nl\xc3\xa9\n\\\"\"\"\"\"\nb = '''\n\xcc\x9f'''\n", &line, &col));
  EXPECT_FALSE(FindBareNonAscii("a = \"esc \\\" still \xc3\xa9\"\n", &line, &col));
}

// The input the fuzzer found: U+031F after a value made toml++ 3.3.0
// reach __builtin_unreachable().
TEST(TomlGuard, NonAsciiOutsideStringsIsPointedAt) {
  size_t line = 0, col = 0;
  ASSERT_TRUE(FindBareNonAscii("command = [\"x\"]\nenv = { A = \"1\"\xcc\x9f }\n", &line, &col));
  EXPECT_EQ(2u, line);
  EXPECT_EQ(16u, col);
  ASSERT_TRUE(FindBareNonAscii("a = 'unterminated\n\xc2\xa0" "b = 1\n", &line, &col));
  EXPECT_EQ(2u, line);
  EXPECT_EQ(1u, col);
}

}  // namespace
}  // namespace steward
