// SPDX-License-Identifier: MIT
// The logger: reads stdin, splits lines, stamps them once per read, feeds every target,
// and answers signals; the whole of svlog but argument parsing.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "options.hpp"
#include "stamp.hpp"
#include "syslog_socket.hpp"
#include "target.hpp"
#include "svtree/event_loop.hpp"

namespace svtree::svlog {

class Logger {
 public:
  Logger(Loop& loop, Options options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// With -s: makes the syslog socket. An error is fatal for the caller (ENOTSOCK and
  /// EADDRINUSE are bad input: the path is taken).
  Result<void> open_socket();
  /// Removes the syslog socket at once (start-up failed after it was made).
  void close_socket();
  /// Opens every target; false (after a fatal message is due) when none could be opened.
  bool open_targets();
  /// Runs until EOF or SIGTERM has been handled; returns the exit code.
  int run();

 private:
  void on_readable();
  void on_datagrams() noexcept;  // the socket watch's callback
  bool receive_datagram();
  bool drain_socket();
  void arm_socket();
  bool read_once();
  void replace_characters(char* data, size_t size) const;
  void dispatch();
  /// Ends the line standard input left open: a held start is fed, open lines get their
  /// newline. Standard input gives no more after this.
  void end_input_line();
  void feed_line_start(std::string_view bytes, bool complete, std::string_view stamp);
  bool flush_all();
  void flush_stderr();
  void block();
  void resume();
  void on_hangup();
  void on_alarm();
  void on_terminate();
  void finish();
  void maybe_exit();
  void recompute_matching();

  Loop& loop_;
  Options options_;
  Stamper stamper_;
  std::array<bool, 256> replaced_{};  // bytes -r/-R replace (never '\n')
  std::vector<std::unique_ptr<Target>> targets_;
  // Input: one read's bytes; consumed_ tells how far dispatch got (it stops while blocked).
  std::unique_ptr<char[]> input_;
  size_t input_size_ = 0;
  size_t consumed_ = 0;
  std::string stamp_;       // the stamp of the last read, taken when it returned
  bool mid_line_ = false;   // the last line begun has not ended yet
  bool hold_partial_ = false;  // some target matches patterns: keep a short partial line
  std::string held_;        // start of a line shorter than line_max, newline not yet read
  std::string held_stamp_;
  SideOutput side_;
  bool blocked_ = false;
  bool at_eof_ = false;
  bool terminating_ = false;
  bool finished_ = false;
  bool hangup_pending_ = false;
  int exit_code_ = 0;
  IoWatch input_watch_;
  IoWatch output_watch_;
  TimerWatch retry_timer_;
  SignalWatch hangup_;
  SignalWatch alarm_;
  SignalWatch terminate_;
  ChildWatch children_;
  // -s: the syslog socket, its watch and one datagram's buffer.
  std::unique_ptr<SyslogSocket> socket_;
  std::unique_ptr<IoWatch> socket_watch_;
  std::unique_ptr<char[]> datagram_;
  bool stdin_ends_run_ = true;     // false with -s when stdin is not a pipe
  bool input_done_ = false;        // stdin ended, but -s keeps svlog running
  bool truncation_warned_ = false;
};

}  // namespace svtree::svlog
