// SPDX-License-Identifier: MIT
// CatchAll: labelled lines of services without log/, and svscan's output in one format.
#include "catch_all.hpp"

#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "svtree/diag.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"

namespace svtree::svscan {
namespace {

// A stalled reader holds the services' lines back (they wait in their pipes, and the
// services block on a full pipe) this long; after it, svscan reads on and drops whole
// lines, counted, so that services never hang on a stalled `docker logs`.
constexpr double kStallSeconds = 1.0;

constexpr std::string_view kPartial = ",\"partial\":true";
// Views, not a choice of two char pointers (a strlen per line).
constexpr std::string_view kSeparator = ": ";
constexpr std::string_view kContinued = "+: ";

int64_t now_unix_ms() {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace

size_t labelled_line_bound(LogFormat format, std::string_view label) {
  if (format != LogFormat::kPlain) return LineCutter::kMaxLine;
  const size_t frame = label.size() + kContinued.size() + 1;  // "LABEL+: " and the newline
  // A name is a directory entry (at most 255 bytes): the text keeps more than 3800 bytes.
  return frame < PIPE_BUF / 2 ? std::min(LineCutter::kMaxLine, PIPE_BUF - frame)
                              : LineCutter::kMaxLine;
}

CatchAll::CatchAll(Loop& loop, LogFormat format)
    : loop_(loop), format_(format),
      out_(loop, STDOUT_FILENO, format, [this] { resume(out_); }),
      err_(loop, STDERR_FILENO, format, [this] { resume(err_); }) {
  stall_timer_ = std::make_unique<TimerWatch>(loop_, [this] { on_stall(); });
  if (ready_.valid())
    ready_watch_ = std::make_unique<IoWatch>(loop_, ready_.fd(), EV_READ,
                                             [this](int) { on_ready(); });
}

CatchAll::~CatchAll() { diag::set_sink(nullptr, nullptr); }

void CatchAll::start() {
  out_.start();
  err_.start();
  diag::set_sink(&CatchAll::own_line, this);
  if (!ready_watch_) {
    diag::warning(ready_.error().message() +
                  ": supervise's lines and services without log/ write to svscan's stdout "
                  "and stderr directly");
    return;
  }
  ready_watch_->start();
  auto pipe = make_pipe();
  if (!pipe) {
    diag::warning(pipe.error().message() + " for supervise's lines: they go to svscan's "
                  "stderr directly");
    return;
  }
  if (!set_nonblocking(pipe->read_end.get(), true)) return;
  if (!add_source(next_id_, Kind::kOwn, nullptr, std::move(pipe->read_end))) return;
  ++next_id_;
  diag_write_ = std::move(pipe->write_end);
}

void CatchAll::own_line(std::string_view line, void* self) {
  auto* catch_all = static_cast<CatchAll*>(self);
  catch_all->err_.push({line}, {});
  catch_all->err_.flush();
}

Result<CatchPipes> CatchAll::open(const std::string& name) {
  collect_garbage();
  if (!ready_watch_) return ready_.error();
  auto out = make_pipe();
  if (!out) return out.error();
  if (!set_nonblocking(out->read_end.get(), true))
    return errno_error("make the catch-all pipe of " + name + " non-blocking");
  CatchPipes pipes;
  pipes.id = next_id_;
  next_id_ += 2;  // id: stdout, id + 1: stderr
  pipes.out = std::move(out->write_end);
  if (format_ == LogFormat::kJson) {
    // Issue 15: in JSON mode a service's stderr is labelled too, so that one parser
    // reads everything the container prints.
    auto err = make_pipe();
    if (!err) return err.error();
    if (!set_nonblocking(err->read_end.get(), true))
      return errno_error("make the catch-all pipe of " + name + " non-blocking");
    // Added first: sources_ stays sorted by id.
    if (auto added = add_source(pipes.id, Kind::kStdout, &name, std::move(out->read_end));
        !added)
      return added.error();
    if (auto added = add_source(pipes.id + 1, Kind::kStderr, &name, std::move(err->read_end));
        !added) {
      close_source(*find(pipes.id));
      return added.error();
    }
    pipes.err = std::move(err->write_end);
    return pipes;
  }
  if (auto added = add_source(pipes.id, Kind::kStdout, &name, std::move(out->read_end)); !added)
    return added.error();
  return pipes;
}

void CatchAll::rename(int id, const std::string& name) {
  for (const int each : {id, id + 1})
    if (Source* source = find(each); source != nullptr && !source->own_label)
      source->lent_label = &name;
}

void CatchAll::release(int id) {
  for (const int each : {id, id + 1}) {
    Source* source = find(each);
    if (source == nullptr || source->own_label) continue;
    // Closed already (end of file): nothing more is labelled, no copy is needed.
    if (source->fd.valid())
      source->own_label = std::make_unique<std::string>(label_of(*source));
    source->lent_label = nullptr;
  }
}

void CatchAll::adopt(UniqueFd read_end, const std::string& name) {
  collect_garbage();
  if (!set_nonblocking(read_end.get(), true)) return;  // dropped: closing is the fallback
  const int id = next_id_;
  next_id_ += 2;
  if (auto added = add_source(id, Kind::kStdout, &name, std::move(read_end), /*owned=*/true);
      !added)
    diag::warning(added.error().message() + ": the old log pipe of " + name +
                  " is closed; a run still writing into it gets SIGPIPE");
}

Result<void> CatchAll::add_source(int id, Kind kind, const std::string* label, UniqueFd fd,
                                  bool owned) {
  if (auto watched = ready_.add(fd.get(), static_cast<uint64_t>(id)); !watched)
    return watched.error();
  Source& source = sources_.emplace_back();
  source.id = id;
  source.kind = kind;
  if (owned && label != nullptr)
    source.own_label = std::make_unique<std::string>(*label);
  else
    source.lent_label = label;
  source.fd = std::move(fd);
  return {};
}

CatchAll::Source* CatchAll::find(int id) {
  const auto found = std::lower_bound(sources_.begin(), sources_.end(), id,
                                      [](const Source& s, int key) { return s.id < key; });
  return found != sources_.end() && found->id == id ? &*found : nullptr;
}

void CatchAll::on_ready() noexcept {
  // One read per ready pipe, as libev gave each watcher one callback per loop iteration.
  std::array<uint64_t, 64> keys{};
  const size_t n = ready_.ready(keys);
  for (size_t i = 0; i < n; ++i) {
    Source* source = find(static_cast<int>(keys[i]));
    if (source != nullptr && source->fd.valid() && !source->paused) on_readable(*source);
  }
}

void CatchAll::watch(Source& source) {
  if (auto watched = ready_.add(source.fd.get(), static_cast<uint64_t>(source.id)); !watched)
    diag::warning(watched.error().message() + ": lines of " +
                  (label_of(source).empty() ? std::string("supervise")
                                            : std::string(label_of(source))) +
                  " wait in their pipe until svscan restarts");
}

OutputChannel& CatchAll::channel_of(const Source& source) {
  return source.kind == Kind::kStdout ? out_ : err_;
}

void CatchAll::on_readable(Source& source) noexcept {
  OutputChannel& channel = channel_of(source);
  // No room: leave the lines in the service's pipe (the service blocks, svscan does not)
  // until the writer catches up, or until the stall lasts kStallSeconds.
  if (source.kind != Kind::kOwn && !dropping_ && !channel.has_room(1)) {
    ready_.remove(source.fd.get());
    source.paused = true;
    channel.wait_for_room();
    if (!stall_timer_->active()) stall_timer_->start_after(kStallSeconds);
    return;
  }
  if (read_once(source) == Read::kEnd) close_source(source);
  channel.flush();
}

CatchAll::Read CatchAll::read_once(Source& source) {
  const auto n = read_some(source.fd.get(), chunk_);
  if (!n) return n.error().code == EAGAIN || n.error().code == EINTR ? Read::kEmpty : Read::kEnd;
  if (*n == 0) return Read::kEnd;
  OutputChannel& channel = channel_of(source);
  if (dropping_ && source.kind != Kind::kOwn && !channel.has_room(1)) {
    // A stalled reader and a full queue: the lines are counted, not formatted, so that a
    // flooding service costs svscan as little as possible.
    uint64_t lines = 0;
    cut(source, std::string_view(chunk_.data(), *n),
        [&](std::string_view, bool continued) { lines += continued ? 0 : 1; });
    channel.count_dropped(label_of(source), lines);
    return Read::kData;
  }
  batch_unix_ms_ = format_ == LogFormat::kJson ? now_unix_ms() : 0;
  // Labelled, the read grows by its label per line: room for lines of 32 bytes or more.
  if (format_ == LogFormat::kPlain)
    channel.reserve(*n + *n / 32 * (label_of(source).size() + 3));
  std::string_view data(chunk_.data(), *n);
  if (format_ == LogFormat::kPlain && source.kind != Kind::kOwn && !dropping_ &&
      !source.cutter && !source.continuing) {
    // The common case, whole lines from the first byte: queued in one loop, the label and
    // separator as one prefix; what is left (a long or unfinished line) goes the long way.
    std::string prefix;
    prefix.reserve(label_of(source).size() + kSeparator.size());
    prefix.append(label_of(source)).append(kSeparator);
    data.remove_prefix(
        channel.push_lines(prefix, data, labelled_line_bound(format_, label_of(source))));
  }
  cut(source, data, [&](std::string_view line, bool continued) { emit(source, line, continued); });
  return Read::kData;
}

template <typename Emit>
void CatchAll::cut(Source& source, std::string_view data, Emit&& out) {
  // The bound follows the label (a rename changes it); supervise's own lines come
  // formatted and are cut at the common one.
  (source.cutter ? *source.cutter : scratch_)
      .set_max_line(source.kind == Kind::kOwn ? LineCutter::kMaxLine
                                              : labelled_line_bound(format_, label_of(source)));
  if (source.cutter) {
    source.cutter->feed(data, out);
    if (source.cutter->pending() == 0) source.cutter.reset();
    return;
  }
  scratch_.feed(data, out);
  if (scratch_.pending() == 0) return;
  source.cutter = std::make_unique<LineCutter>(std::move(scratch_));
  scratch_ = LineCutter();
}

void CatchAll::emit(Source& source, std::string_view line, bool continued) {
  OutputChannel& channel = channel_of(source);
  const bool may_exceed = source.kind != Kind::kOwn && !dropping_;
  if (source.kind == Kind::kOwn) {
    // supervise wrote it in the format already (it inherits $SVTREE_LOG_FORMAT).
    channel.push({line, "\n"}, {}, may_exceed);
    return;
  }
  if (format_ == LogFormat::kJson) {
    const std::string json = format_json_log_line(
        batch_unix_ms_, label_of(source), source.kind == Kind::kStdout ? "stdout" : "stderr",
        line, continued ? kPartial : std::string_view{});
    channel.push({json, "\n"}, label_of(source), may_exceed);
    return;
  }
  // "NAME: line"; the pieces after a cut say "NAME+: " (svscan(8), OUTPUT).
  channel.push_line(label_of(source), source.continuing ? kContinued : kSeparator, line,
                    may_exceed);
  source.continuing = continued;
}

void CatchAll::close_source(Source& source) {
  if (source.cutter) {
    source.cutter->finish([&](std::string_view line, bool continued) {
      emit(source, line, continued);
    });
    source.cutter.reset();
  }
  ready_.remove(source.fd.get());
  source.fd.reset();
  // Freed later: this may run inside the source's own callback.
  has_done_ = true;
}

void CatchAll::collect_garbage() {
  if (!has_done_) return;
  has_done_ = false;
  std::erase_if(sources_, [](const Source& s) { return !s.fd.valid(); });
}

void CatchAll::resume(OutputChannel& channel) {
  dropping_ = false;
  bool still_paused = false;
  for (Source& source : sources_) {
    if (!source.paused) continue;
    if (&channel_of(source) != &channel) {
      still_paused = true;
      continue;
    }
    source.paused = false;
    if (source.fd.valid()) watch(source);
  }
  if (!still_paused) stall_timer_->stop();
}

void CatchAll::on_stall() noexcept {
  // The reader has not moved for kStallSeconds: read on and drop what does not fit.
  dropping_ = true;
  for (Source& source : sources_) {
    if (!source.paused) continue;
    source.paused = false;
    if (source.fd.valid()) watch(source);
  }
}

std::vector<pid_t> CatchAll::writer_pids() const {
  std::vector<pid_t> pids;
  for (const pid_t pid : {out_.writer_pid(), err_.writer_pid()})
    if (pid > 0) pids.push_back(pid);
  return pids;
}

bool CatchAll::on_child_exit(pid_t pid) {
  return out_.on_child_exit(pid) || err_.on_child_exit(pid);
}

void CatchAll::finish() {
  // Every writer of the pipes is gone (or killed at the grace time): what they hold is
  // read now, without waiting, and the unfinished lines go out as lines.
  diag_write_.reset();
  dropping_ = true;
  for (Source& source : sources_) {
    if (!source.fd.valid()) continue;
    while (read_once(source) == Read::kData) {
    }
    close_source(source);
  }
  out_.finish();
  err_.finish();
}

}  // namespace svtree::svscan
