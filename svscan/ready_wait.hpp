// SPDX-License-Identifier: MIT
// ReadyWait: `svscan -W MS DIR -- CMD`: holds CMD until every service of the scan dir
// that is wanted up is up and ready, watching their records with inotify (no polling),
// like s6-overlay's S6_CMD_WAIT_FOR_SERVICES_MAXTIME.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "svtree/event_loop.hpp"
#include "svtree/inotify.hpp"
#include "svtree/status_record.hpp"

namespace svtree::svscan {

/// Does this record let a waiting main command start? A longrun: running and ready (the
/// extended record says so; no extended record never means ready); a oneshot: done.
bool counts_as_ready(const std::optional<StatusRecord>& record);

class ReadyWait {
 public:
  /// on_ready: every service is ready. on_timeout(names not ready): the deadline passed.
  using Ready = std::function<void()>;
  using Timeout = std::function<void(const std::vector<std::string>& not_ready)>;

  /// names: the services (directories relative to the current directory, the scan dir).
  /// tree_dir: svscan's state directory, where instances keep supervise/ (empty: none).
  ReadyWait(Loop& loop, std::vector<std::string> names, int64_t deadline_ms, Ready on_ready,
            Timeout on_timeout, std::string tree_dir = {});
  ReadyWait(const ReadyWait&) = delete;
  ReadyWait& operator=(const ReadyWait&) = delete;

  /// Checks once (the services may be ready already) and starts watching.
  void start();
  [[nodiscard]] bool done() const { return done_; }

 private:
  void check();
  [[nodiscard]] std::vector<std::string> not_ready();
  /// Is names_[i] up and ready, or not wanted up? Watches its supervise/ first.
  [[nodiscard]] bool is_ready(size_t i);

  Loop& loop_;
  std::vector<std::string> names_;
  std::string tree_dir_;
  int64_t deadline_ms_;
  Ready on_ready_;
  Timeout on_timeout_;
  std::optional<Inotify> inotify_;
  std::vector<bool> watching_supervise_;
  std::unique_ptr<IoWatch> io_;
  std::unique_ptr<TimerWatch> deadline_;
  size_t first_waiting_ = 0;  // where check() starts: the service last seen waiting
  bool done_ = false;
};

}  // namespace svtree::svscan
