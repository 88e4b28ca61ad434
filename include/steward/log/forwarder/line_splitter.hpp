// Cuts the raw bytes of one pipe into lines (SPEC §5 "record").
//
// Passive: the caller feeds whatever read() or the journal gave it, and gets
// one callback per piece. A line longer than max_line is cut into pieces of
// max_line bytes; every piece but the last of a line is marked partial. The
// bytes of an unterminated line are held here until a newline arrives, more
// than max_line bytes are held, or the caller calls Flush() (pipe closed, or
// log.partial_flush of silence). held() lets the caller know how many bytes
// it fed that have not been emitted yet (the forwarder's journal cursor
// stays before them).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace steward::log {

class LineSplitter {
 public:
  // line has no newline; partial is true when the line goes on in the next piece.
  using Emit = std::function<void(std::string_view line, bool partial)>;

  explicit LineSplitter(size_t max_line);

  void Feed(std::string_view bytes, const Emit& emit);

  // Emits the held bytes, if any. end_of_line: the line is over (the pipe
  // closed, or the writer changed) so the piece is not partial; false for a
  // flush after silence, where the writer may still finish the line.
  void Flush(bool end_of_line, const Emit& emit);

  size_t held() const { return tail_.size(); }

 private:
  size_t max_line_;
  std::string tail_;  // bytes of the current, unterminated line; <= max_line_
};

}  // namespace steward::log
