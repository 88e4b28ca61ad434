// The control client (ctl.hpp). Blocking and simple: one connection, one
// request, read to end of file, print, exit.
#include "steward/control/ctl.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "steward/control/control.hpp"
#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"

namespace steward {

namespace {

// Answers are tables of services; anything this large is not one.

void Print(int fd, std::string_view text) { WriteAll(fd, text); }

int Fail(int code, const std::string& message) {
  Print(STDERR_FILENO, "steward ctl: " + message + "\n");
  return code;
}

int Usage(const std::string& message) {
  Print(STDERR_FILENO, fmt::format("steward ctl: {}\n{}", message, CtlUsage()));
  return 2;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Connects; on failure returns an invalid fd and the message to print.
UniqueFd Connect(const std::string& path, bool default_place, std::string* err) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    *err = fmt::format("control socket path {} is too long", path);
    return UniqueFd();
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    *err = SysError("socket", "AF_UNIX", errno);
    return fd;
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  int e = errno;
  if (e == ENOENT || e == ENOTDIR) {
    *err = fmt::format("no steward is running here (no {}){}", path,
                       default_place ? "; set STEWARD_RUNTIME_DIR if it runs with --runtime-dir"
                                     : "");
  } else if (e == ECONNREFUSED) {
    *err = fmt::format("no steward is listening on {} (the socket is left from an earlier run)",
                       path);
  } else if (e == EACCES || e == EPERM) {
    *err = fmt::format("permission denied: {} (run as root, as steward's user, or as a member "
                       "of its control_group)",
                       path);
  } else {
    *err = SysError("connect", path, e);
  }
  return UniqueFd();
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(size_t(n));
  }
  return true;
}

}  // namespace

bool ParseCtlArgs(const std::vector<std::string>& args, CtlArgs* out, std::string* err) {
  *out = CtlArgs();
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out->help = true;
    } else if (a == "--runtime-dir") {
      if (i + 1 >= args.size()) {
        *err = "option '--runtime-dir' needs a value";
        return false;
      }
      out->runtime_dir = args[++i];
    } else if (a.compare(0, 14, "--runtime-dir=") == 0) {
      out->runtime_dir = a.substr(14);
    } else if (a.size() > 1 && a[0] == '-') {
      *err = fmt::format("unknown option '{}'", a);
      return false;
    } else {
      break;
    }
  }
  out->request.assign(args.begin() + long(i), args.end());
  if (!out->request.empty() && out->request[0] == "help") out->help = true;
  return true;
}

std::string FindControlSocket(const std::optional<std::string>& runtime_dir, uid_t uid,
                              const std::function<bool(const std::string&)>& exists) {
  if (runtime_dir) return *runtime_dir + "/control.sock";
  std::string run = "/run/steward/control.sock";
  std::string tmp = fmt::format("/tmp/steward-{}/control.sock", uid);
  if (!exists(run) && exists(tmp)) return tmp;
  return run;
}

int RunCtl(const std::vector<std::string>& args, const std::optional<std::string>& env_dir) {
  CtlArgs a;
  std::string err;
  if (!ParseCtlArgs(args, &a, &err)) return Usage(err);
  if (a.help) {
    Print(STDOUT_FILENO, CtlUsage());
    return 0;
  }
  CtlRequest req;
  if (!ParseCtlRequest(a.request, &req, &err)) return Usage(err);
  std::string wire;
  if (!EncodeRequest(a.request, &wire, &err)) return Usage(err);

  std::optional<std::string> dir = a.runtime_dir ? a.runtime_dir : env_dir;
  if (dir && dir->empty()) dir.reset();
  std::string path = FindControlSocket(dir, geteuid(), Exists);
  UniqueFd fd = Connect(path, !dir, &err);
  if (!fd) return Fail(1, err);
  // A refused client is answered and closed before its request is read:
  // the send then fails (EPIPE) and the refusal is still there to read.
  if (!SendAll(fd.get(), wire) && errno != EPIPE && errno != ECONNRESET)
    return Fail(1, SysError("send", path, errno));

  // Waiting verbs (start, stop, restart) answer only once their services
  // have settled: read until steward closes, however long that takes. Once
  // the exit-code line is in, the text is printed as it comes: `logs -f`
  // streams until interrupted. ECONNRESET after the answer only says
  // steward closed with our request unread (a refusal): it ends the answer
  // like end of file.
  std::string answer;
  int code = -1;
  size_t printed = 0;  // bytes of answer already printed (the exit-code line counts)
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET) break;
    if (n < 0) return Fail(1, SysError("recv", path, errno));
    if (n == 0) break;
    answer.append(buf, size_t(n));
    if (code < 0) {
      size_t nl = answer.find('\n');
      std::string text;
      if (nl == std::string::npos) {
        if (answer.size() > 32) return Fail(1, "steward sent a malformed answer");
        continue;
      }
      if (!DecodeResponse(answer.substr(0, nl + 1), &code, &text))
        return Fail(1, "steward sent a malformed answer");
      printed = nl + 1;
    }
    Print(code == 0 ? STDOUT_FILENO : STDERR_FILENO, std::string_view(answer).substr(printed));
    answer.clear();  // printed: nothing of a long stream is kept
    printed = 0;
  }
  if (code < 0)
    return Fail(1, answer.empty() ? "steward closed the connection without an answer"
                                  : "steward sent a malformed answer");
  return code;
}

}  // namespace steward
