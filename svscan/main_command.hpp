// SPDX-License-Identifier: MIT
// MainCommand: `svscan DIR -- CMD ARGS…` as tini runs it (DESIGN.md §5): CMD in the
// starting cwd, in its own process group made the terminal's foreground group, with the
// signal state svscan was started with; signals forwarded; its record in the state dir.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svtree/event_loop.hpp"
#include "svtree/result.hpp"
#include "svtree/spawner.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

class MainCommand {
 public:
  struct Options {
    std::vector<std::string> argv;
    int cwd_fd = -1;           // svscan's starting directory (it chdirs to the scan dir)
    SignalState signals;       // what svscan's caller gave svscan
    int terminal_fd = -1;      // a terminal to hand over (stdin when it is one), else -1
    std::string record_dir;    // STATE/main, empty when there is no state directory
  };
  using Say = std::function<void(std::string_view)>;

  MainCommand(Loop& loop, Options options, Say note, Say warn);
  ~MainCommand();
  MainCommand(const MainCommand&) = delete;
  MainCommand& operator=(const MainCommand&) = delete;

  /// Starts CMD. An error (not found on PATH, fork failed) carries the status svscan exits
  /// with; a failed exec is the child's own exit (127/126) and one warning line.
  Result<pid_t> start();
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  /// Sends signo to CMD (its pid, as tini does without -g). False when CMD is not running.
  bool forward(int signo);
  /// CMD ended: records it and takes the terminal back for svscan's own lines.
  void on_exit(int wait_status);

 private:
  void write_record(int wait_status);
  void on_control() noexcept;
  void on_report() noexcept;

  Loop& loop_;
  Options options_;
  Say note_;
  Say warn_;
  pid_t pid_ = 0;
  UniqueFd report_;
  std::unique_ptr<IoWatch> report_watch_;
  // STATE/main/supervise, held for svscan's life: its ok FIFO tells svctl the main command
  // is supervised, its control FIFO brings svctl's signal letters.
  std::optional<SuperviseServer> server_;
  std::unique_ptr<IoWatch> control_watch_;
};

}  // namespace svtree::svscan
