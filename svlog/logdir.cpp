// SPDX-License-Identifier: MIT
// Log directory management. Facts from svlogd(8) and runit 2.1.2's observed behaviour:
// current is 0644 while written and 0744 once complete (rotated or cleanly closed); old
// files are @<TAI64N of rotation>.s (or .u before a processor ran); .t is a processor's
// output in progress; state/newstate are a processor's fds 4 and 5.
#include "logdir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "svtree/diag.hpp"
#include "svtree/io.hpp"
#include "svtree/process.hpp"
#include "svtree/spawner.hpp"
#include "svtree/tai64n.hpp"

namespace svtree::svlog {
namespace {

constexpr size_t kOldNameSize = 27;  // "@" + 24 hex digits + "." + suffix
constexpr double kMaxProcessorBackoff = 60.0;

bool is_old_file_name(std::string_view name) {
  return name.size() == kOldNameSize && name[0] == '@' && name[25] == '.';
}

}  // namespace

LogDir::LogDir(Loop& loop, std::string path, bool verbose, Hooks hooks)
    : loop_(loop),
      path_(std::move(path)),
      verbose_(verbose),
      hooks_(std::move(hooks)),
      rotation_timer_(loop, [this] {
        if (size_ > 0 && hooks_.rotation_due) hooks_.rotation_due(*this);
        else arm_rotation_timer();
      }),
      processor_retry_(loop, [this] { start_processor(); }) {}

LogDir::~LogDir() = default;

namespace {

/// The log directory at path exists after this, or the error says why not. A dangling
/// symlink (main -> /run/log/web on a read-only root, issue #16) gets its target made,
/// with the missing parents: /run is an empty tmpfs when a container starts. Errors name
/// the directory that could not be made, and the link when there is one.
Result<void> create_log_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return {};
  if (errno != EEXIST) return errno_error("create " + path);
  std::string link = path;
  for (int depth = 0; depth < 8; ++depth) {
    struct stat st {};
    if (::stat(link.c_str(), &st) == 0 || errno != ENOENT) return {};  // open() tells the rest
    if (::lstat(link.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return {};
    auto target = read_link(AT_FDCWD, link);
    if (!target) return target.error();
    std::string resolved = std::move(*target);
    if (resolved[0] != '/') resolved = parent_dir(link) + "/" + resolved;
    if (::lstat(resolved.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      link = resolved;  // a chain of links: follow it to the end
      continue;
    }
    if (auto made = make_directories(resolved); !made) {
      SysError error = made.error();
      error.context += " (for " + resolved + ", the target of the symbolic link " + link + ")";
      return error;
    }
    return {};
  }
  return SysError{ELOOP, "follow the symbolic link " + path};
}

}  // namespace

Result<std::unique_ptr<LogDir>> LogDir::open(Loop& loop, const std::string& path, bool verbose,
                                             Hooks hooks) {
  // svlogd insists the directory exists; multilog and s6-log create it. Creating one level
  // spares containers an `mkdir` in every log/run.
  if (auto created = create_log_directory(path); !created) return created.error();
  std::unique_ptr<LogDir> dir(new LogDir(loop, path, verbose, std::move(hooks)));
  auto dir_fd = open_file(path, O_RDONLY | O_DIRECTORY);
  if (!dir_fd) return SysError{dir_fd.error().code, "open " + path};
  if (auto attached = dir->attach(std::move(*dir_fd)); !attached) return attached.error();
  return dir;
}

std::string LogDir::hint_for(const std::string& path, const SysError& error) {
  if (error.code != EROFS && error.code != EACCES && error.code != EPERM) return "";
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    return "; make the link's target writable (a tmpfs on /run, for instance) or point " +
           path + " somewhere writable";
  return "; on a read-only root, make " + path +
         " a symbolic link into a writable place such as /run (svlog creates its target)";
}

Result<void> LogDir::attach(UniqueFd dir_fd) {
  auto lock = FileLock::try_acquire(path_ + "/lock");
  if (!lock) {
    SysError error = lock.error();
    error.context = error.code == EWOULDBLOCK
                        ? "lock " + path_ + "/lock (another svlog or svlogd is logging there)"
                        : "lock " + path_ + "/lock";
    return error;
  }
  // The new lock is held before the old one (a previous directory's) is released.
  dir_fd_ = std::make_shared<UniqueFd>(std::move(dir_fd));
  lock_ = std::make_unique<FileLock>(std::move(*lock));
  if (auto loaded = load_config(); !loaded) return loaded;
  if (auto kept = keep_unfinished_current(); !kept) return kept;
  queue_unprocessed();
  if (auto opened = open_current(); !opened) return opened;
  start_processor();
  return {};
}

Result<void> LogDir::keep_unfinished_current() {
  struct stat st {};
  if (::fstatat(dir_fd_->get(), "current", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    // No u+x: the last writer never finished it (killed, crashed). Keep it as unfinished.
    if (st.st_size > 0 && (st.st_mode & S_IXUSR) == 0) {
      const std::string name = unique_old_name('u');
      if (::renameat(dir_fd_->get(), "current", dir_fd_->get(), name.c_str()) != 0)
        return errno_error("rename " + path_ + "/current to " + name);
      info("kept unfinished " + path_ + "/current as " + name);
      remove_old_files();
    }
  } else if (errno != ENOENT) {
    return errno_error("stat " + path_ + "/current");
  }
  return {};
}

void LogDir::queue_unprocessed() {
  // A .u left by an svlog that exited while its processor failed, or by a killed one,
  // still waits for the processor: nothing waiting for one is dropped (issue #12).
  if (config_.processor.empty()) return;
  for (const std::string& name : old_files(false)) {
    if (name[26] != 'u') continue;
    const std::string base = name.substr(0, 25);
    const bool queued = std::any_of(pending_.begin(), pending_.end(), [&](const auto& file) {
      return file.dir == dir_fd_ && file.base == base;
    });
    if (!queued) pending_.push_back(Unprocessed{dir_fd_, base, config_.processor});
  }
}

void LogDir::info(std::string_view text) const {
  if (verbose_) diag::info(text);
}

Result<void> LogDir::load_config() {
  config_ = LogConfig{};
  auto text = read_small_file(path_ + "/config", 1 << 20);
  if (!text) {
    if (text.error().code == ENOENT) return {};
    diag::warning(text.error().message() + "; using the defaults");
    return {};
  }
  std::vector<std::string> warnings;
  config_ = parse_log_config(*text, path_ + "/config", warnings);
  for (const std::string& warning : warnings) diag::warning(warning);
  return {};
}

Result<void> LogDir::open_current() {
  auto fd = open_at(dir_fd_->get(), "current", O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY, 0644);
  if (!fd) return SysError{fd.error().code, "open " + path_ + "/current"};
  // 0644 while written: the missing u+x tells the next start that it was not finished.
  if (::fchmod(fd->get(), 0644) != 0) return errno_error("set mode of " + path_ + "/current");
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errno_error("stat " + path_ + "/current");
  current_ = std::move(*fd);
  size_ = static_cast<uint64_t>(st.st_size);
  arm_rotation_timer();
  return {};
}

void LogDir::arm_rotation_timer() {
  if (config_.rotate_seconds > 0) rotation_timer_.start_after(config_.rotate_seconds);
  else rotation_timer_.stop();
}

Result<size_t> LogDir::write(std::string_view data) {
  for (;;) {
    const ssize_t n = ::write(current_.get(), data.data(), data.size());
    if (n >= 0) {
      size_ += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno == ENOSPC && delete_oldest_for_space()) continue;
    return errno_error("write " + path_ + "/current");
  }
}

Result<void> LogDir::rotate() {
  if (step_ == RotationStep::kIdle) {
    if (size_ == 0) return {};
    step_ = RotationStep::kSync;
  }
  if (step_ == RotationStep::kSync) {
    if (::fsync(current_.get()) != 0) return errno_error("fsync " + path_ + "/current");
    step_ = RotationStep::kChmod;
  }
  if (step_ == RotationStep::kChmod) {
    if (::fchmod(current_.get(), 0744) != 0)
      return errno_error("set mode of " + path_ + "/current");
    step_ = RotationStep::kRename;
  }
  if (step_ == RotationStep::kRename) {
    if (rotated_name_.empty()) rotated_name_ = unique_old_name(config_.processor.empty() ? 's' : 'u');
    if (::renameat(dir_fd_->get(), "current", dir_fd_->get(), rotated_name_.c_str()) != 0)
      return errno_error("rename " + path_ + "/current to " + rotated_name_);
    info("rotated " + path_ + "/current to " + rotated_name_ + " (" + std::to_string(size_) +
         " bytes)");
    current_.reset();
    size_ = 0;
    step_ = RotationStep::kOpen;
  }
  if (step_ == RotationStep::kOpen) {
    if (auto opened = open_current(); !opened) return opened.error();
    step_ = RotationStep::kIdle;
    if (rotated_name_.back() == 'u')
      pending_.push_back(Unprocessed{dir_fd_, rotated_name_.substr(0, 25), config_.processor});
    rotated_name_.clear();
    remove_old_files();
    start_processor();
  }
  return {};
}

Result<void> LogDir::reopen() {
  if (auto closed = close_current(); !closed) return closed;
  // By name, as svlogd: after `mv main main.old; mkdir main` the lines go to the new
  // main (issue #12). The same directory keeps its lock; another one is attached anew.
  if (auto created = create_log_directory(path_); !created) return created;
  auto dir_fd = open_file(path_, O_RDONLY | O_DIRECTORY);
  if (!dir_fd) return SysError{dir_fd.error().code, "open " + path_};
  struct stat before {};
  struct stat now {};
  if (::fstat(dir_fd_->get(), &before) == 0 && ::fstat(dir_fd->get(), &now) == 0 &&
      before.st_dev == now.st_dev && before.st_ino == now.st_ino) {
    if (auto loaded = load_config(); !loaded) return loaded;
    queue_unprocessed();
    if (auto opened = open_current(); !opened) return opened;
    start_processor();
    info("reopened " + path_ + "/current and reread its config");
    return {};
  }
  if (auto attached = attach(std::move(*dir_fd)); !attached) return attached;
  info("reopened " + path_ + ": a new directory under that name (files rotated before stay "
       "in the old one)");
  return {};
}

Result<void> LogDir::close_current() {
  if (!current_) return {};
  if (::fsync(current_.get()) != 0) return errno_error("fsync " + path_ + "/current");
  if (::fchmod(current_.get(), 0744) != 0) return errno_error("set mode of " + path_ + "/current");
  current_.reset();
  rotation_timer_.stop();
  return {};
}

std::string LogDir::unique_old_name(char suffix) {
  for (;;) {
    std::string name = Tai64n::now().label();
    name += '.';
    name += suffix;
    struct stat st {};
    if (::fstatat(dir_fd_->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
      return name;
  }
}

bool LogDir::in_use(std::string_view name) const {
  // Only the file a processor reads now, and the one a rotation is renaming, are off
  // limits. Files waiting for a processor count towards `n` like any old file (svlogd
  // counts them too): a processor that fails or falls behind must not fill the disk.
  const std::string_view base = name.substr(0, 25);
  return (processor_pid_ > 0 && pending_.front().dir == dir_fd_ &&
          pending_.front().base == base) ||
         (!rotated_name_.empty() && std::string_view(rotated_name_).substr(0, 25) == base);
}

std::vector<std::string> LogDir::old_files(bool delete_leftovers) {
  std::vector<std::string> names;
  const int fd = ::openat(dir_fd_->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    diag::warning(errno_error("open directory " + path_));
    return names;
  }
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    ::close(fd);
    return names;
  }
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name(entry->d_name);
    if (!is_old_file_name(name)) continue;
    if (name[26] == 't') {
      // A processor's output from a run that did not finish (svlogd deletes these too).
      if (delete_leftovers && !in_use(name)) ::unlinkat(dir_fd_->get(), entry->d_name, 0);
      continue;
    }
    names.emplace_back(name);
  }
  ::closedir(listing);
  // TAI64N labels sort as time: the oldest first.
  std::sort(names.begin(), names.end());
  return names;
}

void LogDir::remove_old_files() {
  std::vector<std::string> names = old_files(true);
  if (config_.keep_max == 0 || names.size() <= config_.keep_max) return;
  // The newest n stay; of the older ones, only a file a processor reads now is spared.
  const std::string why = "n" + std::to_string(config_.keep_max) + " keeps at most " +
                          std::to_string(config_.keep_max) + " old files";
  for (size_t i = 0; i < names.size() - config_.keep_max; ++i)
    if (!in_use(names[i])) delete_old_file(names[i], why);
}

bool LogDir::delete_oldest_for_space() {
  // svlogd's `N`: only when N < n, and never below N old files.
  if (config_.keep_min >= config_.keep_max) return false;
  std::vector<std::string> names = old_files(false);
  if (names.size() <= config_.keep_min) return false;
  for (const std::string& name : names) {
    if (in_use(name)) continue;
    return delete_old_file(name, "out of disk space");
  }
  return false;
}

bool LogDir::delete_old_file(const std::string& name, std::string_view why) {
  if (::unlinkat(dir_fd_->get(), name.c_str(), 0) != 0) {
    diag::warning(errno_error("delete " + path_ + "/" + name));
    return false;
  }
  const std::string base = name.substr(0, 25);
  const auto queued = std::find_if(pending_.begin(), pending_.end(), [&](const auto& file) {
    return file.dir == dir_fd_ && file.base == base;
  });
  if (queued != pending_.end()) {
    // Never silent: a file its processor did not get to is announced even without -v.
    pending_.erase(queued);
    diag::warning("deleted " + path_ + "/" + name + " before its processor ran on it (" +
                  std::string(why) + "; the processor is failing or falling behind)");
  } else if (why == "out of disk space") {
    diag::warning("out of disk space: deleted " + path_ + "/" + name);
  } else {
    info("deleted " + path_ + "/" + name);
  }
  return true;
}

std::string LogDir::where(const Unprocessed& file, std::string_view name) const {
  if (name.empty()) name = file.base;
  if (file.dir == dir_fd_) return path_ + "/" + std::string(name);
  return "the directory " + path_ + " was before SIGHUP, " + std::string(name);
}

void LogDir::start_processor() {
  while (processor_pid_ == 0 && !pending_.empty() && !processor_retry_.active()) {
    const Unprocessed& file = pending_.front();
    const int dir = file.dir->get();
    auto input = open_at(dir, file.base + ".u", O_RDONLY | O_NOCTTY);
    if (!input) {
      diag::warning(SysError{input.error().code, "open " + where(file) + ".u"}.message() +
                    "; not processing it");
      pending_.pop_front();
      continue;
    }
    auto output = open_at(dir, file.base + ".t", O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0644);
    auto state = open_at(dir, "state", O_RDONLY | O_NOCTTY);
    if (!state && state.error().code == ENOENT) {
      auto created = open_at(dir, "state", O_WRONLY | O_CREAT | O_NOCTTY, 0644);
      state = open_at(dir, "state", O_RDONLY | O_NOCTTY);
    }
    auto new_state = open_at(dir, "newstate", O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0644);
    Result<pid_t> pid = SysError{0, ""};
    if (!output) pid = SysError{output.error().code, "create " + where(file) + ".t"};
    else if (!state) pid = SysError{state.error().code, "open " + where(file, "state")};
    else if (!new_state) pid = SysError{new_state.error().code, "create " + where(file, "newstate")};
    else {
      SpawnSpec spec;
      spec.path = "/bin/sh";
      spec.argv = {"sh", "-c", file.processor};
      // By descriptor: a directory moved away before SIGHUP has no name we know.
      spec.cwd_fd = dir;
      spec.fds = {{0, input->get()}, {1, output->get()}, {4, state->get()},
                  {5, new_state->get()}};
      // /bin/sh that cannot be executed shows as the processor's exit 127 or 126 (retried
      // like any failing processor), after this line on our stderr.
      spec.exec_failure_prefix = std::string(diag::program()) + ": warning: unable to start " +
                                 spec.path + " for the processor of " + where(file) + ".u";
      auto spawned = spawn(spec);
      if (spawned) pid = spawned->pid;
      else pid = spawned.error();
    }
    if (!pid) {
      diag::warning(pid.error().message() + "; retrying in " +
                    std::to_string(static_cast<int>(processor_backoff_)) + " s");
      processor_retry_.start_after(processor_backoff_);
      processor_backoff_ = std::min(processor_backoff_ * 2, kMaxProcessorBackoff);
      return;
    }
    processor_pid_ = *pid;
    info("processing " + where(file) + ".u");
  }
}

Result<void> LogDir::finish_processed(const Unprocessed& file) {
  const int dir = file.dir->get();
  const std::string done = file.base + ".s";
  if (::renameat(dir, (file.base + ".t").c_str(), dir, done.c_str()) != 0 && errno != ENOENT)
    return errno_error("rename " + where(file) + ".t to " + done);
  if (::fchmodat(dir, done.c_str(), 0744, 0) != 0)
    return errno_error("set mode of " + where(file) + ".s");
  if (::unlinkat(dir, (file.base + ".u").c_str(), 0) != 0 && errno != ENOENT)
    return errno_error("delete " + where(file) + ".u");
  if (::renameat(dir, "newstate", dir, "state") != 0 && errno != ENOENT)
    return errno_error("rename " + where(file, "newstate") + " to state");
  info("processed " + where(file) + ".s");
  return {};
}

bool LogDir::on_child_exit(pid_t pid, int wait_status) {
  if (pid != processor_pid_ || pid <= 0) return false;
  processor_pid_ = 0;
  // A copy: pending_ may change below (a rotation, or `n`, never touches the front while
  // its processor runs; that is what in_use guarantees).
  const Unprocessed file = pending_.front();
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    if (auto finished = finish_processed(file); !finished) {
      // Rare (a rename failing): treat as a failure, so the file is processed again.
      diag::warning(finished.error());
    } else {
      pending_.pop_front();
      processor_backoff_ = 1.0;
      start_processor();
      if (hooks_.progress) hooks_.progress();
      return true;
    }
  }
  ::unlinkat(file.dir->get(), (file.base + ".t").c_str(), 0);
  // Its file is no longer in use: `n` may have let it stand above the count meanwhile.
  if (file.dir == dir_fd_) remove_old_files();
  const int shell_status = describe_wait_status(wait_status).shell_status;
  const std::string why =
      shell_status == 0 ? std::string("failed") : "exited with status " + std::to_string(shell_status);
  if (!processor_retry_allowed_) {
    diag::warning("processor for " + where(file) + ".u " + why + "; svlog is exiting: " +
                  std::to_string(pending_.size()) +
                  " file(s) stay .u, and the next svlog on this directory processes them");
    pending_.clear();
  } else {
    diag::warning("processor for " + where(file) + ".u " + why + "; retrying in " +
                  std::to_string(static_cast<int>(processor_backoff_)) + " s");
    processor_retry_.start_after(processor_backoff_);
    processor_backoff_ = std::min(processor_backoff_ * 2, kMaxProcessorBackoff);
  }
  if (hooks_.progress) hooks_.progress();
  return true;
}

void LogDir::stop_retrying_processor() {
  processor_retry_allowed_ = false;
  if (processor_retry_.active()) {
    processor_retry_.stop();
    diag::warning("svlog is exiting while the processor fails: " +
                  std::to_string(pending_.size()) + " rotated file(s) in " + path_ +
                  " stay .u, and the next svlog on this directory processes them");
    pending_.clear();
  }
}

}  // namespace svtree::svlog
