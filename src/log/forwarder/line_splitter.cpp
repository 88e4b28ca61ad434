#include "steward/log/forwarder/line_splitter.hpp"

#include <string.h>

namespace steward::log {

LineSplitter::LineSplitter(size_t max_line) : max_line_(max_line == 0 ? 1 : max_line) {}

void LineSplitter::Feed(std::string_view bytes, const Emit& emit) {
  while (!bytes.empty()) {
    const char* nl = static_cast<const char*>(memchr(bytes.data(), '\n', bytes.size()));
    size_t len = nl ? size_t(nl - bytes.data()) : bytes.size();
    // Whole pieces of max_line first, so a long line never waits for its end.
    while (tail_.size() + len > max_line_) {
      size_t take = max_line_ - tail_.size();
      if (tail_.empty()) {
        emit(bytes.substr(0, take), true);  // fast path: no copy
      } else {
        tail_.append(bytes.data(), take);
        emit(tail_, true);
        tail_.clear();
      }
      bytes.remove_prefix(take);
      len -= take;
    }
    if (!nl) {
      tail_.append(bytes.data(), len);
      return;
    }
    if (tail_.empty()) {
      emit(bytes.substr(0, len), false);
    } else {
      tail_.append(bytes.data(), len);
      emit(tail_, false);
      tail_.clear();
    }
    bytes.remove_prefix(len + 1);
  }
}

void LineSplitter::Flush(bool end_of_line, const Emit& emit) {
  if (tail_.empty()) return;
  std::string piece;
  piece.swap(tail_);  // emit() may feed again; leave the splitter consistent
  emit(piece, !end_of_line);
}

}  // namespace steward::log
