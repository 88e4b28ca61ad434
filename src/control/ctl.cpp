// The control client (ctl.hpp). Blocking and simple: one connection, one
// request, read to end of file, print, exit.
#include "steward/control/ctl.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "steward/control/control.hpp"
#include "steward/util/args.hpp"
#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/safe_path.hpp"

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

std::string NoSteward(const std::string& path, bool default_place) {
  return fmt::format("no steward is running here (no {}){}", path,
                     default_place ? "; set STEWARD_RUNTIME_DIR if it runs with --runtime-dir"
                                   : "");
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

const char* FileType(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  return "a device";
}

// Opens the socket's directory the one safe way (safe_path.hpp: no link
// followed where anyone but root could have put it) and checks it and the
// socket (SocketTrustProblem). *via is where to connect: the socket through
// the descriptor of the directory just checked, so that nothing swapped in
// after the check is what answers.
bool OpenTrusted(const std::string& path, uid_t uid, bool default_place, UniqueFd* dir,
                 std::string* via, std::string* err) {
  std::string d = Dirname(path);
  std::string name = path.substr(path.rfind('/') + 1);
  OpenRequest req;
  req.flags = O_RDONLY;
  req.directory = true;
  SafeFile f;
  PathError pe;
  struct stat dst;
  if (!OpenSafely(d, req, &f, &pe)) {
    if (pe.err == ENOENT) {
      *err = NoSteward(path, default_place);
    } else if (lstat(d.c_str(), &dst) == 0 && !S_ISDIR(dst.st_mode)) {
      *err = SocketTrustProblem(path, dst, nullptr, uid);  // a link, a file
    } else {
      *err = fmt::format("refusing {}: {}", path, pe.text);
    }
    return false;
  }
  UniqueFd fd = std::move(f.fd);
  dst = f.st;
  struct stat sst;
  bool has_socket = fstatat(fd.get(), name.c_str(), &sst, AT_SYMLINK_NOFOLLOW) == 0;
  if (!has_socket && errno != ENOENT) {
    *err = SysError("lstat", path, errno);
    return false;
  }
  *err = SocketTrustProblem(path, dst, has_socket ? &sst : nullptr, uid);
  if (!err->empty()) return false;
  if (!has_socket) {
    *err = NoSteward(path, default_place);
    return false;
  }
  *via = access("/proc/self/fd", X_OK) == 0 ? fmt::format("/proc/self/fd/{}/{}", fd.get(), name)
                                            : path;
  *dir = std::move(fd);
  return true;
}

// Connects to via (path's trusted way in); on failure returns an invalid fd
// and the message to print, naming path.
UniqueFd Connect(const std::string& path, const std::string& via, bool default_place,
                 std::string* err) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (via.size() >= sizeof addr.sun_path) {
    *err = fmt::format("control socket path {} is too long", path);
    return UniqueFd();
  }
  memcpy(addr.sun_path, via.c_str(), via.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    *err = SysError("socket", "AF_UNIX", errno);
    return fd;
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  int e = errno;
  if (e == ENOENT || e == ENOTDIR) {
    *err = NoSteward(path, default_place);
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
  auto set = [](bool* b) {
    return [b](const std::string&, std::string*) { return *b = true; };
  };
  ArgSpec spec;
  spec.options = {
      {"--help", 'h', false, set(&out->help)},
      {"--verbose", 'v', false, set(&out->verbose)},
      {"--runtime-dir", 0, true,
       [out](const std::string& v, std::string*) {
         out->runtime_dir = v;
         return true;
       }},
  };
  size_t end = 0;
  if (!ParseArgs(args, 0, spec, err, &end)) return false;
  out->request.assign(args.begin() + long(end), args.end());
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

std::string SocketTrustProblem(const std::string& path, const struct stat& dir,
                               const struct stat* sock, uid_t uid) {
  const std::string d = Dirname(path);
  const char* fix = "or point --runtime-dir at steward's runtime directory";
  auto ours = [uid](uid_t owner) { return owner == uid || owner == 0; };
  if (!S_ISDIR(dir.st_mode)) {
    return fmt::format("refusing {}: its directory {} is {}, not a directory; remove {} {}", path,
                       d, FileType(dir.st_mode), d, fix);
  }
  if (!ours(dir.st_uid)) {
    return fmt::format("refusing {}: its directory {} belongs to uid {}, not to you (uid {}) or "
                       "root, so anyone may have made the socket; remove {} {}",
                       path, d, dir.st_uid, uid, d, fix);
  }
  if (dir.st_mode & (S_IWGRP | S_IWOTH)) {
    return fmt::format("refusing {}: its directory {} is writable by others (mode {:04o}), so "
                       "anyone may have made the socket; chmod go-w {} {}",
                       path, d, dir.st_mode & 07777, d, fix);
  }
  if (!sock) return "";
  if (!S_ISSOCK(sock->st_mode)) {
    return fmt::format("refusing {}: it is {}, not a socket; remove {} {}", path,
                       FileType(sock->st_mode), path, fix);
  }
  if (!ours(sock->st_uid)) {
    return fmt::format("refusing {}: the socket belongs to uid {}, not to you (uid {}) or root, "
                       "so it is not steward's; remove {} {}",
                       path, sock->st_uid, uid, path, fix);
  }
  return "";
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
  UniqueFd held;  // the socket's directory, checked, while connecting through it
  std::string via;
  if (!OpenTrusted(path, geteuid(), !dir, &held, &via, &err)) return Fail(1, err);
  if (a.verbose) Print(STDERR_FILENO, fmt::format("steward ctl: using {}\n", path));
  UniqueFd fd = Connect(path, via, !dir, &err);
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
