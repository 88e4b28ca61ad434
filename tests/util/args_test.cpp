// The one option parser (args.hpp): its syntax and its error texts, which
// every command line of steward shows.
#include "steward/util/args.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

struct Seen {
  bool verbose = false, quiet = false;
  std::string dir, count;
  std::vector<std::string> words;
};

ArgSpec Spec(Seen* s, bool mixed) {
  ArgSpec spec;
  auto value = [](std::string* out) {
    return [out](const std::string& v, std::string*) {
      *out = v;
      return true;
    };
  };
  spec.options = {
      {"--verbose", 'v', false,
       [s](const std::string&, std::string*) { return s->verbose = true; }},
      {nullptr, 'q', false, [s](const std::string&, std::string*) { return s->quiet = true; }},
      {"--dir", 0, true, value(&s->dir)},
      {"--count", 'n', true,
       [s](const std::string& v, std::string* err) {
         if (v == "bad") {
           *err = "--count: invalid count 'bad'";
           return false;
         }
         s->count = v;
         return true;
       }},
  };
  if (mixed) {
    spec.word = [s](const std::string& w, std::string*) {
      s->words.push_back(w);
      return true;
    };
  }
  spec.unknown_hint = " (see test --help)";
  return spec;
}

struct Result {
  bool ok;
  std::string err;
  size_t end = 0;
  Seen seen;
};

Result Parse(std::vector<std::string> args, bool mixed = false) {
  Result r;
  r.ok = ParseArgs(args, 0, Spec(&r.seen, mixed), &r.err, &r.end);
  return r;
}

TEST(Args, LongOptionsTakeTheirValueAfterAnEqualsSignOrAsTheNextArgument) {
  Result r = Parse({"--dir=/a", "--count", "5", "--verbose"});
  ASSERT_TRUE(r.ok) << r.err;
  EXPECT_EQ("/a", r.seen.dir);
  EXPECT_EQ("5", r.seen.count);
  EXPECT_TRUE(r.seen.verbose);
  EXPECT_EQ(4u, r.end);
  EXPECT_EQ("", Parse({"--dir="}).seen.dir);
}

TEST(Args, ShortOptionsGroupAndTakeAGluedOrSeparateValue) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"-vqn5"}, {"-vq", "-n", "5"}, {"-vqn=5"}, {"-v", "-q", "-n5"}}) {
    Result r = Parse(args);
    ASSERT_TRUE(r.ok) << r.err;
    EXPECT_TRUE(r.seen.verbose && r.seen.quiet);
    EXPECT_EQ("5", r.seen.count);
  }
}

TEST(Args, TheFirstWordOrDoubleDashEndsTheOptionsUnlessWordsAreMixed) {
  Result r = Parse({"-v", "run", "-q"});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(1u, r.end);
  EXPECT_FALSE(r.seen.quiet);
  r = Parse({"-v", "--", "-q"});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(2u, r.end);
  r = Parse({"-", "-v"});  // "-" alone is a word
  EXPECT_EQ(0u, r.end);
  r = Parse({"a", "-v", "-", "b", "--", "-q"}, true);
  ASSERT_TRUE(r.ok) << r.err;
  EXPECT_TRUE(r.seen.verbose);
  EXPECT_FALSE(r.seen.quiet);
  EXPECT_EQ((std::vector<std::string>{"a", "-", "b", "-q"}), r.seen.words);
}

TEST(Args, OneErrorTextShapeNamingTheOption) {
  EXPECT_EQ("unknown option '--bogus' (see test --help)", Parse({"--bogus=1"}).err);
  EXPECT_EQ("unknown option '-x' (see test --help)", Parse({"-vx"}).err);
  EXPECT_EQ("option '--dir' needs a value", Parse({"--dir"}).err);
  EXPECT_EQ("option '-n' needs a value", Parse({"-vn"}).err);
  EXPECT_EQ("option '--verbose' takes no value", Parse({"--verbose=yes"}).err);
  EXPECT_EQ("--count: invalid count 'bad'", Parse({"-n", "bad"}).err);
  EXPECT_FALSE(Parse({"--bogus"}).ok);
}

TEST(Args, AHookTakesDashWordsNoOptionClaims) {
  Seen s;
  ArgSpec spec = Spec(&s, true);
  spec.dash_word = [&s](const std::string& a) {
    if (a != "-HUP") return false;
    s.words.push_back("HUP");
    return true;
  };
  std::string err;
  ASSERT_TRUE(ParseArgs({"-HUP", "web", "-v"}, 0, spec, &err)) << err;
  EXPECT_EQ((std::vector<std::string>{"HUP", "web"}), s.words);
  EXPECT_TRUE(s.verbose);
  EXPECT_FALSE(ParseArgs({"-KILL"}, 0, spec, &err));
  EXPECT_EQ("unknown option '-K' (see test --help)", err);
}

}  // namespace
}  // namespace steward
