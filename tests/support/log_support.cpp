#include "log_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <thread>

#include "files.hpp"
#include "steward/log/hub.hpp"
#include "temp_dir.hpp"

namespace steward::testing {

namespace {

// The in-process LogHub tests start their forwarder as steward does, by
// executing steward's binary as `steward-log` (this test program is not it).
const bool kForwarderBinaryHeld = (log::HoldBinary(STEWARD_BIN), true);

bool Bindable(int type, uint16_t port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool ok = bind(fd, reinterpret_cast<struct sockaddr*>(&sin), sizeof sin) == 0;
  close(fd);
  return ok;
}

}  // namespace

uint16_t FreePort() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    uint16_t port = uint16_t(20000 + (unsigned(getpid()) * 7919u + unsigned(attempt) * 104729u) % 30000);
    if (Bindable(SOCK_STREAM, port) && Bindable(SOCK_DGRAM, port)) return port;
  }
  return 0;
}

bool PortOpen(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<struct sockaddr*>(&sin), sizeof sin) == 0;
  close(fd);
  return ok;
}

bool ListensOn(pid_t pid, uint16_t port) {
  // 127.0.0.1:port in state 0A (LISTEN), then that socket among pid's fds.
  std::string want = fmt::format("0100007F:{:04X}", port), inode;
  for (const std::string& line : Lines(ReadFile("/proc/net/tcp"))) {
    std::vector<std::string> f;
    for (size_t i = 0, j; i < line.size(); i = j) {
      i = line.find_first_not_of(' ', i);
      if (i == std::string::npos) break;
      j = line.find(' ', i);
      if (j == std::string::npos) j = line.size();
      f.push_back(line.substr(i, j - i));
    }
    if (f.size() > 9 && f[1] == want && f[3] == "0A") inode = f[9];
  }
  if (inode.empty()) return false;
  std::string fds = fmt::format("/proc/{}/fd", pid), target = "socket:[" + inode + "]";
  DIR* d = opendir(fds.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (struct dirent* e = readdir(d)) {
    char buf[64];
    ssize_t n = readlink((fds + "/" + e->d_name).c_str(), buf, sizeof buf);
    if (n > 0 && std::string(buf, size_t(n)) == target) found = true;
  }
  closedir(d);
  return found;
}

void EndDaemon(pid_t pid, int sig, const std::function<bool(pid_t)>& wait_exit, const std::string& what) {
  kill(pid, sig);
  if (wait_exit(pid)) return;
  ADD_FAILURE() << what << " (pid " << pid << ") did not exit on signal " << sig << ": killed";
  kill(pid, SIGKILL);
  wait_exit(pid);
}

bool WaitChild(pid_t pid) {
  for (int i = 0; i < 3000; ++i) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

LoopDriver::LoopDriver() : loop_(ev_default_loop(0)) {
  ev_child_init(&child_, &LoopDriver::OnChild, 0, 0);
  child_.data = this;
  ev_child_start(loop_, &child_);
  ev_timer_init(&tick_, &LoopDriver::OnTick, 0.01, 0.01);
  ev_timer_start(loop_, &tick_);
}

LoopDriver::~LoopDriver() {
  ev_child_stop(loop_, &child_);
  ev_timer_stop(loop_, &tick_);
}

void LoopDriver::OnChild(struct ev_loop*, ev_child* w, int) {
  auto* self = static_cast<LoopDriver*>(w->data);
  self->statuses_[w->rpid] = w->rstatus;
  if (self->on_exit) self->on_exit(w->rpid, w->rstatus);
}

void LoopDriver::OnTick(struct ev_loop*, ev_timer*, int) {}

bool LoopDriver::RunUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    ev_run(loop_, EVRUN_ONCE);
  }
  return true;
}

void LoopDriver::RunFor(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  RunUntil([&] { return std::chrono::steady_clock::now() > end; }, d + std::chrono::seconds(1));
}

pid_t WriteLines(int fd, const std::string& prefix, int count, int pause_us, int batch) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  std::string buf;
  for (int i = 1; i <= count; ++i) {
    buf += fmt::format("{}-{}\n", prefix, i);
    if (i % batch == 0 || i == count) {
      const char* p = buf.data();
      size_t left = buf.size();
      while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(1);
        p += n, left -= size_t(n);
      }
      buf.clear();
      if (pause_us) usleep(useconds_t(pause_us));
    }
  }
  _exit(0);
}

pid_t WriteData(int fd, const std::string& data) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  ssize_t n = write(fd, data.data(), data.size());
  _exit(n == ssize_t(data.size()) ? 0 : 1);
}

std::vector<int> Numbers(const std::vector<std::string>& lines, const std::string& prefix) {
  std::vector<int> out;
  std::string needle = prefix + "-";
  for (const std::string& line : lines) {
    size_t at = line.find(needle);
    if (at == std::string::npos) continue;
    // The number must be the whole rest of the token.
    size_t start = at + needle.size(), end = start;
    while (end < line.size() && isdigit(uint8_t(line[end]))) ++end;
    if (end == start) continue;
    if (at > 0 && (isalnum(uint8_t(line[at - 1])) || line[at - 1] == '-')) continue;
    out.push_back(std::stoi(line.substr(start, end - start)));
  }
  return out;
}

std::string CheckSequence(const std::vector<int>& numbers, int count, bool allow_repeats) {
  std::set<int> seen;
  int last_new = 0;
  for (int n : numbers) {
    if (seen.count(n)) {
      if (!allow_repeats) return fmt::format("{} repeated", n);
      continue;
    }
    if (n != last_new + 1) return fmt::format("{} after {}: out of order or missing", n, last_new);
    seen.insert(n);
    last_new = n;
  }
  if (last_new != count) return fmt::format("got up to {} of {}", last_new, count);
  return "";
}

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xc0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(char(0xe0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  }
}

bool ParseString(const std::string& s, size_t* i, std::string* out) {
  if (s[*i] != '"') return false;
  for (++*i; *i < s.size(); ++*i) {
    char c = s[*i];
    if (c == '"') {
      ++*i;
      return true;
    }
    if (uint8_t(c) < 0x20) return false;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++*i >= s.size()) return false;
    switch (s[*i]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'u': {
        if (*i + 4 >= s.size()) return false;
        uint32_t cp = uint32_t(std::stoul(s.substr(*i + 1, 4), nullptr, 16));
        AppendUtf8(cp, out);
        *i += 4;
        break;
      }
      default: return false;
    }
  }
  return false;
}

}  // namespace

bool ParseFlatJson(const std::string& s, std::map<std::string, std::string>* out) {
  size_t i = 0;
  if (s.empty() || s[i++] != '{') return false;
  while (i < s.size()) {
    std::string key, value;
    if (!ParseString(s, &i, &key) || i >= s.size() || s[i++] != ':' || i >= s.size()) return false;
    if (s[i] == '"') {
      if (!ParseString(s, &i, &value)) return false;
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != '}') value.push_back(s[i++]);
      if (value != "true" && value != "false" && value.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
    }
    (*out)[key] = value;
    if (i >= s.size()) return false;
    if (s[i] == '}') return i + 1 == s.size();
    if (s[i++] != ',') return false;
  }
  return false;
}

}  // namespace steward::testing
