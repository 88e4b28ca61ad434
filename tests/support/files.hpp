// Files and text for tests: write, read, wait for, split into lines.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace steward::testing {

void WriteFile(const std::string& path, const std::string& content, int mode = 0644);
std::string ReadFile(const std::string& path);  // "" when missing
bool Exists(const std::string& path);
// Polls (tests only) until pred() or timeout; returns pred().
bool WaitFor(const std::function<bool()>& pred,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
std::vector<std::string> Lines(const std::string& text);
// Every line of text that contains needle.
std::vector<std::string> Grep(const std::string& text, const std::string& needle);

}  // namespace steward::testing
