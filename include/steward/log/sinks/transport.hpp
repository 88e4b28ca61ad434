// The byte stream under a stream sink (SPEC §5: tcp:// or tls://): plain
// TCP, or TLS on top of it. NetSink connects the socket, then talks only to
// its Transport, so syslog, json and relp each run over either.
//
// Non-blocking throughout: every call returns at once, and kWantRead or
// kWantWrite tells the caller which readiness of the socket to wait for
// before calling again (with the same arguments, for Write). Borrows the
// socket; the sink owns and closes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace steward::log {

class Transport {
 public:
  enum class Io { kOk, kWantRead, kWantWrite, kClosed, kError };

  virtual ~Transport() = default;

  // Drives the connection's opening (the TLS handshake and the check of the
  // collector's certificate); kOk once done. On kError, *err says why, in
  // words for the user ("TLS: certificate has expired").
  virtual Io Handshake(std::string* err) = 0;
  // Writes up to n bytes; kOk with *done > 0 bytes taken.
  virtual Io Write(const char* p, size_t n, size_t* done, std::string* err) = 0;
  // Reads up to n bytes; kOk with *got > 0, kClosed when the peer closed.
  virtual Io Read(char* p, size_t n, size_t* got, std::string* err) = 0;
  // Bytes handed to the socket so far, framing of the transport included
  // (TLS records): what SIOCOUTQ is measured against. After a Write of
  // plaintext returns, everything it took has been handed to the socket.
  virtual uint64_t wire_written() const = 0;
};

// Plain TCP: send(2) and recv(2) on fd.
std::unique_ptr<Transport> MakePlainTransport(int fd);

}  // namespace steward::log
