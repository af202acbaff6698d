// SPDX-License-Identifier: MIT
// ReadyWait: services' records watched until each is up and ready.
#include "ready_wait.hpp"

#include <sys/inotify.h>

#include <span>

#include "svtree/io.hpp"
#include "svtree/supervise_location.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::svscan {

bool counts_as_ready(const std::optional<StatusRecord>& record) {
  // A oneshot counts once it is done (issue 14), as s6-overlay waits for cont-init.d.
  if (record && record->extension && record->extension->phase == Phase::kDone) return true;
  return record && record->pid != 0 && record->state == RunState::kRun &&
         record->extension && record->extension->ready();
}

ReadyWait::ReadyWait(Loop& loop, std::vector<std::string> names, int64_t deadline_ms,
                     Ready on_ready, Timeout on_timeout, std::string tree_dir)
    : loop_(loop),
      names_(std::move(names)),
      tree_dir_(std::move(tree_dir)),
      deadline_ms_(deadline_ms),
      on_ready_(std::move(on_ready)),
      on_timeout_(std::move(on_timeout)),
      watching_supervise_(names_.size(), false) {}

void ReadyWait::start() {
  if (auto made = Inotify::create()) {
    inotify_.emplace(std::move(*made));
    // A service's supervise/ may not exist yet: its directory is watched for it to come.
    for (const std::string& name : names_)
      (void)inotify_->add_watch(name, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    io_ = std::make_unique<IoWatch>(loop_, inotify_->fd(), EV_READ, [this](int) {
      (void)inotify_->read_events();
      check();
    });
    io_->start();
  }
  deadline_ = std::make_unique<TimerWatch>(loop_, [this] {
    if (done_) return;
    done_ = true;
    if (io_) io_->stop();
    on_timeout_(not_ready());
  });
  deadline_->start_after(static_cast<double>(deadline_ms_) / 1000.0);
  check();
}

bool ReadyWait::is_ready(size_t i) {
  const std::string& name = names_[i];
  if (path_exists(name + "/down")) return true;  // not wanted up: nothing to wait for
  const std::string home = supervise_location::client_home(".", name, tree_dir_);
  if (inotify_ && !watching_supervise_[i]) {
    // status is replaced by a rename, which the directory sees as IN_MOVED_TO.
    watching_supervise_[i] =
        inotify_->add_watch(supervise_path(home), IN_MOVED_TO | IN_CLOSE_WRITE).ok();
  }
  std::optional<StatusRecord> record;
  if (auto read = read_service_status(home)) record = std::move(*read);
  return counts_as_ready(record);
}

std::vector<std::string> ReadyWait::not_ready() {
  std::vector<std::string> waiting;
  for (size_t i = 0; i < names_.size(); ++i)
    if (!is_ready(i)) waiting.push_back(names_[i]);
  return waiting;
}

void ReadyWait::check() {
  if (done_) return;
  // A wake-up looks first at the service last seen waiting and stops at the first one
  // still waiting: while one waits, an event costs one record read, not one per service
  // (each supervise's start is a few events: quadratic at start-up). Ready still means
  // one round that read every service ready.
  for (size_t seen = 0; seen < names_.size(); ++seen) {
    const size_t i = (first_waiting_ + seen) % names_.size();
    if (!is_ready(i)) {
      first_waiting_ = i;
      return;
    }
  }
  done_ = true;
  // Stopped, not destroyed: this may run inside io_'s own callback.
  if (io_) io_->stop();
  if (deadline_) deadline_->stop();
  on_ready_();
}

}  // namespace svtree::svscan
