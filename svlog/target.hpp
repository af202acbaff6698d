// SPDX-License-Identifier: MIT
// A log target: line selection, formatting into one output buffer, and the resumable flush
// of that buffer to a log directory (with rotations at line boundaries) or to stdout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logdir.hpp"
#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svlog {

/// Where stderr copies (`e` lines) of every target are collected between flushes.
struct SideOutput {
  std::string to_stderr;
};

class Target {
 public:
  /// A log directory target; prefix from -p (the directory's `p` line overrides it).
  Target(std::unique_ptr<LogDir> dir, std::optional<std::string> prefix);
  /// A stream target (stdout for `-`).
  Target(int fd, std::string name, std::optional<std::string> prefix);
  ~Target();
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  enum class Flush { kDone, kBlocked, kWouldBlock };

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] LogDir* dir() const { return dir_.get(); }
  /// Does this target decide per line (patterns)? Then lines are matched on line_max bytes.
  [[nodiscard]] bool needs_matching() const { return !instructions_.empty(); }
  [[nodiscard]] bool disabled() const { return disabled_; }

  /// A new line starts. bytes: the line's bytes read so far, with its newline when
  /// complete; match_text: its first line_max bytes without the newline; stamp: the
  /// formatted stamp with its space (may be empty).
  void begin_line(std::string_view bytes, bool complete, std::string_view match_text,
                  std::string_view stamp, SideOutput& side);
  /// More bytes of the line begun last; complete when they end with its newline.
  void continue_line(std::string_view bytes, bool complete, SideOutput& side);
  /// Ends an unfinished line with a newline (at EOF and SIGTERM).
  void end_open_line(SideOutput& side);
  /// SIGALRM, `t`: rotate once the current line is complete.
  void request_rotation();
  /// Bytes formatted and not yet written.
  [[nodiscard]] size_t pending() const { return out_.size() - written_; }
  /// Writes what is pending, rotating at the recorded line boundaries. On an error keeps
  /// everything, warns once per episode, and returns kBlocked (or kWouldBlock for EAGAIN);
  /// call again later to resume exactly where it stopped.
  Flush flush();
  /// Rereads the directory's config after reopen (SIGHUP).
  void apply_config();

 private:
  void mark_rotation();
  void after_line_end();
  void send_udp(std::string_view stamp, std::string_view match_text);
  void report(const SysError& error);

  std::unique_ptr<LogDir> dir_;
  int fd_ = -1;  // stream targets
  std::string name_;
  std::optional<std::string> option_prefix_;
  // From the directory's config (or defaults for streams):
  std::string prefix_;
  std::vector<Instruction> instructions_;
  uint64_t size_max_ = 0;
  std::optional<UdpTarget> udp_;
  UniqueFd udp_socket_;
  bool udp_warned_ = false;
  // Line state:
  bool line_open_ = false;      // a line began and its newline has not come yet
  bool line_selected_ = false;  // that line goes to the file
  bool line_to_stderr_ = false;
  bool rotate_requested_ = false;
  // Output: formatted bytes, rotations due at offsets in it, and how far writing got.
  std::string out_;
  std::vector<size_t> rotation_marks_;
  size_t next_mark_ = 0;
  size_t written_ = 0;
  uint64_t planned_size_ = 0;  // size current will have once out_ is written
  bool blocked_ = false;       // warned about the current episode of errors
  bool disabled_ = false;      // stdout gone (EPIPE): nothing more to write there
};

}  // namespace svtree::svlog
