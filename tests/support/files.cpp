#include "files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace steward::testing {

void WriteFile(const std::string& path, const std::string& content, int mode) {
  std::ofstream f(path, std::ios::trunc);
  f << content;
  f.close();
  chmod(path.c_str(), mode_t(mode));
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::vector<std::string> Grep(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  for (const std::string& l : Lines(text)) {
    if (l.find(needle) != std::string::npos) out.push_back(l);
  }
  return out;
}

}  // namespace steward::testing
