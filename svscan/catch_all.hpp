// SPDX-License-Identifier: MIT
// CatchAll: the output of services without log/, labelled and whole-line on svscan's stdout
// (issue 15, DESIGN.md §1), and every line svscan prints in one format (plain or JSON).
// svscan holds each such service's pipe across restarts of the service (as it holds a
// service's pipe to its logger), reads it without blocking, cuts it into lines, labels
// them, and queues them on an OutputChannel. Its own lines and supervise's (a pipe all
// supervise processes share, $SVTREE_DIAG_FD) go the same way to stderr.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catch_pipes.hpp"
#include "output_channel.hpp"
#include "ready_set.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/json.hpp"
#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

/// Cuts a byte stream into lines at most max_line bytes long. Pure.
class LineCutter {
 public:
  /// A line is longer than this: it goes out in pieces of this size, each but the last
  /// marked as continued (svscan(8), OUTPUT).
  static constexpr size_t kMaxLine = 4096;

  explicit LineCutter(size_t max_line = kMaxLine) : max_line_(max_line) {}
  /// Calls emit(line, continued) for each piece that is complete in data (without its
  /// newline); the rest waits for the next call. continued: the line goes on in the next
  /// piece. Emitted views point into data or into the cutter: use them before returning.
  template <typename Emit>
  void feed(std::string_view data, Emit&& emit);
  /// End of file: the unfinished line, if any, goes out as a line.
  template <typename Emit>
  void finish(Emit&& emit);
  [[nodiscard]] size_t pending() const { return partial_.size(); }
  /// The bound for what comes next (labelled_line_bound follows the label); never below
  /// the unfinished line already held, which goes out whole as one piece.
  void set_max_line(size_t max_line) { max_line_ = std::max(max_line, partial_.size()); }

 private:
  size_t max_line_;
  std::string partial_;
};

/// How many bytes of a line the catch-all writes in one piece for a service labelled
/// label: in the plain format, "LABEL+: " + text + newline fits PIPE_BUF, so that every
/// piece lands whole in a pipe that other writers share (a write of at most PIPE_BUF is
/// atomic); LineCutter::kMaxLine in JSON, whose escapes make no bound exact. Pure.
[[nodiscard]] size_t labelled_line_bound(LogFormat format, std::string_view label);

class CatchAll {
 public:
  CatchAll(Loop& loop, LogFormat format);
  ~CatchAll();
  CatchAll(const CatchAll&) = delete;
  CatchAll& operator=(const CatchAll&) = delete;

  /// Starts the two writer children and the pipe for supervise's lines, and routes
  /// svscan's own lines (lib diag) through the stderr channel.
  void start();
  /// The write end every supervise gets as $SVTREE_DIAG_FD (-1 when there is none).
  [[nodiscard]] int diag_write_fd() const { return diag_write_.get(); }

  /// Pipes for a service without log/: its lines are labelled NAME. svscan keeps the read
  /// ends until end of file (every write end closed: ours and those of the service's
  /// processes), so a restart loses nothing and a run adopted across a change of log/
  /// keeps writing into the pipe it has.
  /// NAME is lent, not copied (issue 17: one copy of each name in svscan, the tree's): it
  /// must stay alive, and is read at each line, until release(id).
  Result<CatchPipes> open(const std::string& name);
  /// The service was renamed: its lines carry NAME from now on (lent, as by open).
  void rename(int id, const std::string& name);
  /// The name lent for id is going away while the pipes may still be written (a removed
  /// service's leftover processes, a run adopted across log/ appearing): the catch-all
  /// keeps a copy of it for what comes until end of file.
  void release(int id);
  /// A retired logger pipe (log/ removed): what is still written into it is labelled NAME.
  void adopt(UniqueFd read_end, const std::string& name);

  /// Writer pids: spared by the shutdown's TERM to other processes.
  [[nodiscard]] std::vector<pid_t> writer_pids() const;
  /// A child ended: true when it was one of our writers.
  bool on_child_exit(pid_t pid);
  /// Shutdown's last step (no service, logger or supervise left): reads what is left in
  /// the pipes, then closes the channels once written, so the writers exit.
  void finish();

 private:
  enum class Kind : uint8_t { kStdout, kStderr, kOwn };
  // Issue 17: one of these per service without log/ (1000 of them in svscan's own memory),
  // kept small (40 bytes): no watcher (the pipe is an entry of ready_), a LineCutter only
  // while a line is unfinished, and the label lent by the tree (a copy only once released).
  struct Source {
    const std::string* lent_label = nullptr;  // the tree's name of the service, until release
    std::unique_ptr<std::string> own_label;   // after release, and for adopt's pipes
    std::unique_ptr<LineCutter> cutter;  // null: no unfinished line (scratch_ serves)
    int id = -1;
    UniqueFd fd;
    Kind kind = Kind::kStdout;
    bool paused = false;
    bool continuing = false;  // the last piece was cut: this one continues its line
  };
  static_assert(sizeof(Source) <= 40);
  enum class Read : uint8_t { kData, kEmpty, kEnd };

  /// What source's lines are labelled with ("" for supervise's own lines).
  static std::string_view label_of(const Source& source) {
    if (source.own_label) return *source.own_label;
    return source.lent_label != nullptr ? std::string_view(*source.lent_label)
                                        : std::string_view();
  }
  /// label is lent (see open) unless owned is set, then kept in the source.
  Result<void> add_source(int id, Kind kind, const std::string* label, UniqueFd fd,
                          bool owned = false);
  /// The source of id, or null. sources_ is sorted by id (ids only grow).
  Source* find(int id);
  void on_ready() noexcept;
  void on_readable(Source& source) noexcept;
  /// Reads once and emits the lines it completes; kEnd at end of file or on an error.
  Read read_once(Source& source);
  /// Feeds data through the source's cutter (scratch_ when it has none) and keeps a
  /// cutter for it only when a line is left unfinished.
  template <typename Emit>
  void cut(Source& source, std::string_view data, Emit&& out);
  void emit(Source& source, std::string_view line, bool continued);
  OutputChannel& channel_of(const Source& source);
  /// Reads source again (after a pause); says so when the kernel refuses.
  void watch(Source& source);
  void close_source(Source& source);
  void resume(OutputChannel& channel);
  void on_stall() noexcept;
  static void own_line(std::string_view line, void* self);
  void collect_garbage();

  Loop& loop_;
  LogFormat format_;
  OutputChannel out_;
  OutputChannel err_;
  UniqueFd diag_write_;
  // Never grown inside a callback that holds a Source& (only open() and adopt() add).
  std::vector<Source> sources_;
  ReadySet ready_;
  std::unique_ptr<IoWatch> ready_watch_;
  LineCutter scratch_;
  int next_id_ = 0;
  bool dropping_ = false;  // a stall outlasted kStallMs: lines that do not fit are dropped
  bool has_done_ = false;  // some source ended: freed at the next add
  std::unique_ptr<TimerWatch> stall_timer_;
  int64_t batch_unix_ms_ = 0;
  // Left uninitialised on purpose (issue 17): zeroing it made all 64 KiB resident in
  // svscan for good; now only the pages the largest read so far used are.
  std::array<char, 1 << 16> chunk_;  // NOLINT(cppcoreguidelines-pro-type-member-init)
};

template <typename Emit>
void LineCutter::feed(std::string_view data, Emit&& emit) {
  while (!data.empty()) {
    const size_t room = max_line_ - partial_.size();
    const size_t newline = data.substr(0, room + 1).find('\n');
    if (newline != std::string_view::npos) {
      if (partial_.empty()) {
        emit(data.substr(0, newline), false);
      } else {
        partial_.append(data.substr(0, newline));
        emit(std::string_view(partial_), false);
        partial_.clear();
      }
      data.remove_prefix(newline + 1);
      continue;
    }
    if (data.size() <= room) {
      partial_.append(data);
      return;
    }
    // max_line_ bytes with no newline: a piece of a longer line.
    if (partial_.empty()) {
      emit(data.substr(0, room), true);
    } else {
      partial_.append(data.substr(0, room));
      emit(std::string_view(partial_), true);
      partial_.clear();
    }
    data.remove_prefix(room);
  }
  // A long partial line gives its memory back once it is out.
  if (partial_.empty() && partial_.capacity() > 256) std::string().swap(partial_);
}

template <typename Emit>
void LineCutter::finish(Emit&& emit) {
  if (!partial_.empty()) emit(std::string_view(partial_), false);
  std::string().swap(partial_);
}

}  // namespace svtree::svscan
