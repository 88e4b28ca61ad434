// One option parser for every command line steward has (steward itself,
// `steward ctl` and each of its verbs, `steward probe`, `steward import`):
// each describes its options as a table and gets the same syntax and the
// same error texts.
//
// Syntax: "--name", "--name=VALUE", "--name VALUE"; "-x", "-xVALUE",
// "-x=VALUE", "-x VALUE"; short flags grouped ("-vq", "-sge3"); "--" ends
// the options. "-" alone is a word, not an option.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace steward {

struct ArgOption {
  const char* name = nullptr;  // the long name with its dashes ("--runtime-dir"); nullptr: none
  char short_name = 0;         // 'v' for -v; 0: none
  bool takes_value = false;
  // Called with the value ("" for a flag): false with *err set to the
  // whole message (e.g. "--grace: invalid duration 'x'").
  std::function<bool(const std::string& value, std::string* err)> apply;
};

struct ArgSpec {
  std::vector<ArgOption> options;
  // Called for each word (a non-option argument), in order, options and
  // words mixed (`ctl logs web -n 5`): false with *err set. Unset: the first
  // word ends the options (PROGRAM, a verb), and ParseArgs stops there.
  std::function<bool(const std::string& word, std::string* err)> word;
  // An argument like "-X" whose X is none of this table's short options:
  // true when the hook took it (`ctl signal -USR1 web`: a word, without
  // its dash), false for the usual parsing.
  std::function<bool(const std::string& arg)> dash_word;
  // Appended to "unknown option 'X'": where the usage is, e.g. " (see steward --help)".
  std::string unknown_hint;
};

// Parses args[first..] against spec. Returns false with *err set to
// "unknown option 'X'" (plus the hint), "option 'X' needs a value",
// "option 'X' takes no value" or a handler's message. *end (when given) is
// the index of the first argument not parsed: the first word when spec.word
// is unset, else args.size().
bool ParseArgs(const std::vector<std::string>& args, size_t first, const ArgSpec& spec,
               std::string* err, size_t* end = nullptr);

}  // namespace steward
