// RELP, the Reliable Event Logging Protocol of rsyslog's imrelp, client side
// (SPEC §5 "relp"): the frames steward sends and a parser for what the
// collector sends back. Pure functions and one buffer; NetSink does the I/O.
//
// A frame is `TXNR SP COMMAND SP DATALEN [SP DATA] LF`: TXNR a transaction
// number from 1 to 999999999 (then 1 again), DATALEN the byte length of
// DATA (no SP DATA when 0). The client opens with `open` and its offers,
// sends `syslog` commands, and the server answers each transaction with
// `rsp` and data `CODE SP TEXT [LF more]`, 200 meaning accepted. The server
// may end the session with `serverclose` (TXNR 0).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace steward::log::relp {

constexpr uint32_t kMaxTxnr = 999999999;
// A frame from the collector larger than this is a protocol error: answers
// are a status line and, for `open`, a few offers.
constexpr size_t kMaxResponseData = 64 << 10;

inline uint32_t NextTxnr(uint32_t txnr) { return txnr >= kMaxTxnr ? 1 : txnr + 1; }

void AppendFrame(uint32_t txnr, std::string_view command, std::string_view data, std::string* out);

// The data of steward's `open` command: relp_version, relp_software and
// commands=syslog.
std::string OpenOffers();

struct Frame {
  uint32_t txnr = 0;
  std::string command;
  std::string data;
};

// Splits the collector's byte stream into frames, however it is cut.
class Reader {
 public:
  // Appends the complete frames in bytes (and in what was held back from
  // earlier calls) to *out. False with *err when the stream is not RELP;
  // the session must then be dropped.
  bool Feed(std::string_view bytes, std::vector<Frame>* out, std::string* err);
  void Reset() { buf_.clear(); }

 private:
  std::string buf_;  // the start of a frame not yet complete
};

// Parses `rsp` data: "200 OK" or "500 error text\n...". False when it does
// not start with a three-digit code.
bool ParseRsp(std::string_view data, int* code, std::string* text);

}  // namespace steward::log::relp
