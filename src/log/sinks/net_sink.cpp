// A network sink: its spool and batches, and the I/O under its Link (DNS,
// the socket, the timer). The connection's states are link.cpp's table;
// the protocols are the senders (stream_sender.cpp, datagram_sender.cpp).
#include "steward/log/sinks/net_sink.hpp"

#include <sys/socket.h>

#include <fmt/format.h>

#include "steward/util/diag.hpp"
#include "steward/log/sinks/format.hpp"

namespace steward::log {

NetSink::NetSink(struct ev_loop* loop, int index, const SinkConfig& cfg, const Endpoint& ep,
                 std::string hostname, Ready ready)
    : Sink(cfg.name, index, std::move(ready)),
      cfg_(cfg),
      ep_(ep),
      hostname_(std::move(hostname)),
      cursor_(&spool_, cfg.name),
      stream_(ep.kind == Endpoint::Kind::kTcp),
      relp_(cfg.type == SinkConfig::Type::kRelp),
      dns_(loop),
      link_(this, &cursor_, cfg.name, cfg.url, ep.tls) {
  if (ep.tls) {
    TlsOptions o;
    if (!cfg.tls_ca.empty()) o.ca = cfg.tls_ca;
    o.cert = cfg.tls_cert;
    o.key = cfg.tls_key;
    o.server_name = cfg.tls_server_name.empty() ? ep.host : cfg.tls_server_name;
    o.verify = cfg.tls_verify;
    tls_ = std::make_unique<TlsContext>(std::move(o));
  }
  io_.Bind<&NetSink::OnIo>(loop, this);
  timer_.Bind<&NetSink::OnTimer>(loop, this);
}

NetSink::~NetSink() = default;

bool NetSink::OpenSpool(UniqueFd fd, std::string* err) {
  std::string note;
  if (!spool_.Open(std::move(fd), cfg_.buffer, &note, err)) return false;
  if (!note.empty()) Warning("{}: spool: {}", name(), note);
  cursor_.Rewind();
  return true;
}

void NetSink::Start() { Handle({LinkEvent::kStart, {}, 0}); }

void NetSink::Format(const Record& r, std::string* out) const {
  if (relp_) {
    if (cfg_.rfc3164) {
      AppendRfc3164(r, cfg_.facility, hostname_, out);
    } else {
      AppendRfc5424(r, cfg_.facility, hostname_, out);
    }
    return;
  }
  if (cfg_.type == SinkConfig::Type::kJson) {
    AppendJson(r, r.service, out);
    if (!stream_) out->resize(out->size() - 1);  // a datagram needs no newline
    return;
  }
  std::string msg;
  if (cfg_.rfc3164) {
    AppendRfc3164(r, cfg_.facility, hostname_, &msg);
  } else {
    AppendRfc5424(r, cfg_.facility, hostname_, &msg);
  }
  if (!stream_) {
    out->append(msg);
  } else if (cfg_.octet_counting) {
    AppendOctetCounted(msg, out);
  } else {
    AppendLfFramed(msg, out);
  }
}

void NetSink::Add(const Record& r, std::string_view) {
  std::string entry;
  EncodeRecord(r, &entry);
  Spool::Frame(entry, &batch_);
}

bool NetSink::Flush() {
  RetryBatch();
  Handle({LinkEvent::kSend, {}, 0});
  if (batch_.empty()) return true;
  RetryBatch();  // the sender may have made room
  if (batch_.empty()) return true;
  outstanding_ = true;
  return false;
}

void NetSink::Handle(LinkInput in) {
  link_.Dispatch(std::move(in));
  if (link_.dispatching() || !outstanding_) return;
  RetryBatch();
  if (batch_.empty()) Done();
}

// Moves batch_ into the spool, as far as it goes.
void NetSink::RetryBatch() {
  if (batch_.empty()) return;
  Spool::Push result;
  size_t n = spool_.AppendFramed(batch_, !cfg_.overflow_block, &result);
  batch_.erase(0, n);
  if (result == Spool::Push::kError && !spool_error_reported_) {
    spool_error_reported_ = true;
    Error("{}: cannot write its spool: {}; records are held until it can", name(), spool_.error());
  } else if (result != Spool::Push::kError) {
    spool_error_reported_ = false;
  }
  if (result == Spool::Push::kError && link_.state() == LinkState::kConnected) {
    // Nothing else would wake us to retry the spool: a short timer does.
    timer_.Start(1.0);
  }
}

bool NetSink::Idle() const {
  if (!batch_.empty() || !cursor_.empty() || outstanding_) return false;
  return link_.state() != LinkState::kConnected || link_.sender()->Drained();
}

bool NetSink::InOutage() const {
  return link_.state() != LinkState::kConnected && !link_.problem().empty();
}

void NetSink::Refused(int code, const std::string& text) {
  // The collector will not take this record: permanent for it (SPEC §5),
  // counted; the next one goes on. A collector that refuses one record
  // refuses the next thousand alike: one notice per answer code, and the
  // forwarder's `dropped N records` carries the count.
  Reject(1, SinkRejection{fmt::format("relp rsp {}", code),
                          fmt::format("{}: the collector refused a record: {} {}; refused "
                                      "records are dropped for this sink and counted",
                                      name(), code, text)});
  if (on_rejected) on_rejected();
}

void NetSink::Resolve() {
  if (ep_.kind == Endpoint::Kind::kUnix) return link_.Dispatch({LinkEvent::kResolved, "", 0});
  dns_.Start(ep_.host, [this](bool ok, const std::string& result) {
    Handle({ok ? LinkEvent::kResolved : LinkEvent::kFailed, result, 0});
  });
}

bool NetSink::Connect(const std::string& address, bool* in_progress, std::string* err) {
  sock_ = log::Connect(ep_, address, in_progress, err);
  if (!sock_) return false;
  if (ep_.kind == Endpoint::Kind::kUnix) {
    int type = 0;
    socklen_t len = sizeof type;
    getsockopt(sock_.get(), SOL_SOCKET, SO_TYPE, &type, &len);
    stream_ = type == SOCK_STREAM;
  }
  return true;
}

int NetSink::SocketError() {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(sock_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  return err;
}

std::unique_ptr<Sender> NetSink::NewSender(std::string* err) {
  RecordFormat format = [this](const Record& r, std::string* out) { Format(r, out); };
  if (!stream_) return MakeDatagramSender(sock_.get(), &cursor_, std::move(format));
  std::unique_ptr<Transport> t;
  if (tls_) {
    if (!tls_->Load(err)) return nullptr;
    t = tls_->NewSession(sock_.get());
  } else {
    t = MakePlainTransport(sock_.get());
  }
  if (relp_) return MakeRelpSender(std::move(t), &cursor_, std::move(format), cfg_.window, this);
  return MakeStreamSender(std::move(t), sock_.get(), &cursor_, std::move(format));
}

void NetSink::Close() {
  io_.Stop();
  sock_.Reset();
}

void NetSink::Watch(int events) {
  if (io_.fd() == sock_.get() && io_.events() == events && io_.active()) return;
  io_.Stop();
  if (!sock_ || events == 0) return;
  io_.Set(sock_.get(), events);
}

}  // namespace steward::log
