// SPDX-License-Identifier: MIT
// The one owner of a service's supervise/ directory (DESIGN.md §3), as libs6 is to s6: the
// server half supervise uses (lock, FIFOs, publishing the records, reading the previous one)
// and the client half svscan and svctl use (presence, the record, commands). No other file
// names supervise/'s entries, opens them or encodes control bytes.
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "svtree/control.hpp"
#include "svtree/result.hpp"
#include "svtree/status_record.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

/// A service directory: the name the user gave (for messages, never rewritten) and a
/// descriptor for the directory itself (which follows renames).
class ServiceDir {
 public:
  /// Opens name as a directory (symlinks followed).
  static Result<ServiceDir> open(std::string name);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] int fd() const { return fd_.get(); }
  /// "NAME/entry", for messages.
  [[nodiscard]] std::string shown(std::string_view entry) const;

 private:
  ServiceDir(std::string name, UniqueFd fd) : name_(std::move(name)), fd_(std::move(fd)) {}
  std::string name_;
  UniqueFd fd_;
};

// --- server half: supervise

/// DIR/supervise held by its supervisor. Every file inside is opened relative to the
/// directory's descriptor and never through a symlink; a supervise/ that belongs to
/// another user, or that others can write, is refused.
class SuperviseServer {
 public:
  /// Prepares DIR/supervise (creating it, or the target of a dangling symlink, mode 0700),
  /// takes its lock and opens the control and ok FIFOs. EWOULDBLOCK: another supervisor
  /// (ours or runsv) runs DIR.
  static Result<SuperviseServer> open(const ServiceDir& dir);

  /// The control FIFO, read+write and non-blocking: read bytes, then parse_control_byte.
  [[nodiscard]] int control_fd() const { return control_.get(); }
  /// The record the previous supervisor left: status, with status.svtree's fields when
  /// that file is coherent with it. nullopt when there is none.
  [[nodiscard]] std::optional<StatusRecord> read_previous() const;
  /// Writes pid, stat, status.svtree, then status (what clients poll, so once it changes the
  /// rest already matches); each through NAME.new, created exclusively, then renamed.
  Result<void> publish(const StatusRecord& record, bool want_exit);

 private:
  SuperviseServer(std::string shown, UniqueFd dir, UniqueFd lock, UniqueFd control, UniqueFd ok)
      : shown_(std::move(shown)),
        dir_(std::move(dir)),
        lock_(std::move(lock)),
        control_(std::move(control)),
        ok_(std::move(ok)) {}
  Result<void> replace(const char* name, std::string_view data);

  std::string shown_;  // DIR/supervise as the user named it
  UniqueFd dir_;
  UniqueFd lock_;      // flock held for our whole life
  UniqueFd control_;
  UniqueFd ok_;        // held for reading: clients' ok probes succeed while we live
  std::string last_stat_;
  std::string last_pid_;
  bool umask_filters_ = true;  // the umask takes bits off 0644: fchmod each new file
};

/// Removes DIR/supervise and what a supervisor puts in it (for a record svscan owns, such
/// as the main command's, when svscan exits: no stale record is left for svctl to read).
/// Call after the SuperviseServer is gone. Best effort: errors are ignored.
void remove_supervise_dir(const std::string& dir);

// --- client half: svscan, svctl

/// DIR/supervise/ENTRY (entry empty: DIR/supervise), for watches and messages.
std::string supervise_path(const std::string& dir, std::string_view entry = {});
/// DIR/supervise/status's name, which a change watch on DIR/supervise reports.
inline constexpr std::string_view kStatusEntry = "status";

/// What opening supervise/ok for writing tells a client about a service's supervisor.
enum class SupervisorPresence { kRunning, kNotRunning, kNoFifo, kError };

/// open(DIR/supervise/ok, O_WRONLY|O_NONBLOCK): success = a supervisor holds it; ENXIO =
/// none does (runit's sv and daemontools' svok test exactly this). errno_out gets the errno.
SupervisorPresence probe_supervisor(const std::string& dir, int* errno_out = nullptr);
/// The same open, kept: the descriptor reports an error condition (EPOLLERR) the moment
/// the supervisor, the FIFO's only reader, exits.
Result<UniqueFd> open_ok_writer(const std::string& dir);

/// Reads DIR/supervise/status (runit's 20 bytes, or daemontools' 18) and, when coherent
/// with it, status.svtree. EPROTO when status is shorter than 18 bytes.
Result<StatusRecord> read_service_status(const std::string& dir);

/// Does this record let a dependent start (issue 14)? A oneshot that is done, or a longrun
/// that runs and is ready; a record without the extended fields (runsv) counts when run
/// runs, as runsv has no readiness.
bool record_ready_or_done(const StatusRecord& record);

/// Reads DIR's record for a dependent: nullopt when no supervisor runs DIR (a record left by
/// a dead one says nothing) or the record cannot be read.
std::optional<StatusRecord> read_live_status(const std::string& dir);

/// Writes the commands' bytes to DIR/supervise/control in one write(2), opened
/// O_WRONLY|O_NONBLOCK so a missing supervisor is ENXIO at once instead of a hang.
Result<void> send_commands(const std::string& dir, std::span<const Command> commands);

}  // namespace svtree
