// SPDX-License-Identifier: MIT
// Test harness: a real svlog process fed through a real pipe, and log directory readers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_support.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svlog::testing {

using namespace svtree::testing;

/// The built svlog ($SVTREE_SVLOG).
std::string svlog_binary();

/// svlog running with args; its stdin is a pipe this object writes.
class RunningSvlog {
 public:
  explicit RunningSvlog(const std::vector<std::string>& args, std::string cwd = "");
  /// Any program (svlogd, for the interop tests) fed the same way; argv[0] is its path.
  struct Program {};
  RunningSvlog(Program, const std::vector<std::string>& argv);
  void write(std::string_view data);
  /// Waits until svlog has read everything written so far (the pipe is empty).
  bool wait_drained(std::chrono::milliseconds timeout = 20s);
  /// Closes our end of the pipe: svlog sees EOF.
  void close_input() { input_.reset(); }
  Process& process() { return *process_; }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 20s) {
    return process_->wait_exit_code(timeout);
  }

 private:
  void start(const std::vector<std::string>& argv, std::string cwd);
  UniqueFd input_;
  std::unique_ptr<Process> process_;
};

/// Runs svlog to completion on input; returns exit code, stdout, stderr.
CommandResult run_svlog(const std::vector<std::string>& args, std::string_view input);

/// Names in dir that look like svlogd's old files (@ + 24 hex + . + suffix), sorted.
std::vector<std::string> old_files(const std::string& dir);
/// Old files (oldest first) then current, concatenated: everything the directory keeps.
std::string all_logs(const std::string& dir);
/// Mode bits (07777) of path, or -1.
int file_mode(const std::string& path);
/// Whether needle occurs in text (a message in svlog's stderr, a line in a log).
inline bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}
/// Splits text into lines (without their newlines); a last line without one is kept.
std::vector<std::string> split_lines(std::string_view text);

}  // namespace svtree::svlog::testing
