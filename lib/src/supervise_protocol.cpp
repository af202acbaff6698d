// SPDX-License-Identifier: MIT
// supervise/'s bytes on disk and its FIFOs: both halves of the protocol (DESIGN.md §3).
#include "svtree/supervise_protocol.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <vector>

#include "svtree/io.hpp"

namespace svtree {
namespace {

constexpr const char* kSuperviseDir = "supervise";
constexpr const char* kLock = "lock";
constexpr const char* kControl = "control";
constexpr const char* kOk = "ok";
constexpr const char* kStatus = "status";
constexpr const char* kStatusSvtree = "status.svtree";
constexpr const char* kStat = "stat";
constexpr const char* kPid = "pid";
constexpr mode_t kPrivateMode = 0600;
constexpr mode_t kPublicMode = 0644;
// status is 20 bytes and status.svtree 84 today; later versions only append.
constexpr size_t kMaxRecordBytes = 512;

std::string join(const std::string& dir, std::string_view entry) {
  std::string path = dir;
  if (!path.empty() && path.back() != '/') path += '/';
  path += entry;
  return path;
}

std::span<const uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

/// mkdir -p relative to at_fd, for the target of a dangling supervise symlink; the last
/// level gets mode.
Result<void> make_directories_at(int at_fd, const std::string& path, mode_t mode) {
  if (::mkdirat(at_fd, path.c_str(), mode) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return errno_error("create directory " + path);
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return errno_error("create directory " + path);
  if (auto parent = make_directories_at(at_fd, path.substr(0, slash), 0755); !parent)
    return parent;
  if (::mkdirat(at_fd, path.c_str(), mode) == 0 || errno == EEXIST) return {};
  return errno_error("create directory " + path);
}

/// DIR/supervise as DESIGN.md §2 allows it: a directory, or a symlink to one (created when
/// the link dangles, e.g. into a fresh /run). Refused when it is not ours alone.
Result<UniqueFd> open_supervise_dir(const ServiceDir& dir, const std::string& shown) {
  struct stat st {};
  if (::fstatat(dir.fd(), kSuperviseDir, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) return errno_error("stat " + shown);
    if (::mkdirat(dir.fd(), kSuperviseDir, 0700) != 0 && errno != EEXIST)
      return errno_error("create directory " + shown);
  } else if (S_ISLNK(st.st_mode) && ::fstatat(dir.fd(), kSuperviseDir, &st, 0) != 0) {
    if (errno != ENOENT) return errno_error("stat " + shown);
    std::array<char, PATH_MAX> target{};
    const ssize_t n = ::readlinkat(dir.fd(), kSuperviseDir, target.data(), target.size() - 1);
    if (n <= 0) return errno_error("read symlink " + shown);
    std::string resolved(target.data(), static_cast<size_t>(n));
    while (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
    // A relative target is relative to DIR, which at_fd is.
    if (auto made = make_directories_at(dir.fd(), resolved, 0700); !made)
      return SysError{made.error().code, "create " + shown + " -> " + resolved};
  }
  auto fd = open_at(dir.fd(), kSuperviseDir, O_RDONLY | O_DIRECTORY);
  if (!fd) return SysError{fd.error().code, "open " + shown};
  if (::fstat(fd->get(), &st) != 0) return errno_error("stat " + shown);
  // Whoever else owns or can write this directory can plant symlinks where we write
  // (status.new -> /etc/passwd): runsv writes through them, we refuse to start.
  if (st.st_uid != ::geteuid())
    return SysError{EPERM, "use " + shown + " (it belongs to uid " + std::to_string(st.st_uid) +
                               ", not to uid " + std::to_string(::geteuid()) +
                               " that runs supervise; remove it, or run supervise as its owner)"};
  if ((st.st_mode & 022) != 0)
    return SysError{EPERM, "use " + shown + " (others can write to it; chmod 0700 " + shown + ")"};
  return fd;
}

/// One small file of supervise/ (status, status.svtree), never through a symlink.
Result<std::string> read_entry(int dir_fd, const char* name) {
  auto fd = open_at(dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  if (!fd) return fd.error();
  std::array<char, kMaxRecordBytes> buffer{};
  // One read: the file is replaced by rename, never rewritten in place.
  auto n = read_some(fd->get(), buffer);
  if (!n) return n.error();
  return std::string(buffer.data(), *n);
}

/// status, then status.svtree: the extension is attached only when coherent. supervise
/// writes status.svtree first, so a status.svtree that does not match the status we read
/// is either newer (a publish is between its two renames: read again in a moment) or stale
/// (runsv took the directory over: it never matches, and after a few tries status alone is
/// the answer).
std::optional<StatusRecord> read_record_at(int dir_fd, int* errno_out) {
  constexpr int kAttempts = 10;
  constexpr timespec kPause{0, 1'000'000};  // a publish's two renames are microseconds apart
  std::optional<StatusRecord> record;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt >= 2) ::nanosleep(&kPause, nullptr);
    auto status = read_entry(dir_fd, kStatus);
    if (!status) {
      if (errno_out != nullptr) *errno_out = status.error().code;
      return std::nullopt;
    }
    record = StatusRecord::unpack(bytes_of(*status));
    if (!record || status->size() < StatusRecord::kRunitSize) {
      if (errno_out != nullptr) *errno_out = EPROTO;
      return std::nullopt;
    }
    const auto extended = read_entry(dir_fd, kStatusSvtree);
    if (!extended) return record;  // runsv's directory, or never written
    record->extension = StatusRecord::unpack_extended(bytes_of(*status), bytes_of(*extended));
    if (record->extension || extended->size() < StatusRecord::kExtendedSize) return record;
  }
  return record;
}

}  // namespace

// --- ServiceDir

Result<ServiceDir> ServiceDir::open(std::string name) {
  auto fd = open_file(name, O_RDONLY | O_DIRECTORY);
  if (!fd) return SysError{fd.error().code, "open service directory " + name};
  return ServiceDir(std::move(name), std::move(*fd));
}

std::string ServiceDir::shown(std::string_view entry) const { return join(name_, entry); }

// --- server

Result<SuperviseServer> SuperviseServer::open(const ServiceDir& dir) {
  const std::string shown = dir.shown(kSuperviseDir);
  auto supervise = open_supervise_dir(dir, shown);
  if (!supervise) return supervise.error();
  auto lock = open_at(supervise->get(), kLock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY,
                      kPrivateMode);
  if (!lock) return SysError{lock.error().code, "open " + join(shown, kLock)};
  if (::flock(lock->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return SysError{EWOULDBLOCK, "lock " + join(shown, kLock) + " (another supervise or runsv runs " +
                                       dir.name() + ")"};
    return errno_error("lock " + join(shown, kLock));
  }
  // control is held read+write, so we never see EOF when the last client closes.
  auto control = open_private_fifo(supervise->get(), kControl, O_RDWR, join(shown, kControl));
  if (!control) return control.error();
  // ok is held for reading only: a client's O_WRONLY|O_NONBLOCK open then succeeds while we
  // live and fails with ENXIO after (runit's sv, daemontools' svok).
  auto ok = open_private_fifo(supervise->get(), kOk, O_RDONLY, join(shown, kOk));
  if (!ok) return ok.error();
  SuperviseServer server(shown, std::move(*supervise), std::move(*lock), std::move(*control),
                         std::move(*ok));
  // Read once (umask can only be read by setting it): does it take bits off 0644?
  const mode_t mask = ::umask(022);
  ::umask(mask);
  server.umask_filters_ = (mask & kPublicMode) != 0;
  return server;
}

std::optional<StatusRecord> SuperviseServer::read_previous() const {
  return read_record_at(dir_.get(), nullptr);
}

Result<void> SuperviseServer::replace(const char* name, std::string_view data) {
  const std::string temp = std::string(name) + ".new";
  // Never through a file we did not create: O_EXCL|O_NOFOLLOW makes a new one, and
  // whatever already sits at NAME.new (a crash's leftover, a planted symlink) is removed
  // first. The common case (nothing there) costs no extra system call.
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY;
  auto fd = open_at(dir_.get(), temp, kFlags, kPublicMode);
  if (!fd && fd.error().code == EEXIST) {
    if (::unlinkat(dir_.get(), temp.c_str(), 0) != 0 && errno != ENOENT)
      return errno_error("unlink " + join(shown_, temp));
    fd = open_at(dir_.get(), temp, kFlags, kPublicMode);
  }
  if (!fd) return SysError{fd.error().code, "create " + join(shown_, temp)};
  // O_CREAT's mode is filtered by the umask; the protocol fixes the mode.
  if (umask_filters_ && ::fchmod(fd->get(), kPublicMode) != 0)
    return errno_error("chmod " + join(shown_, temp));
  auto written = write_all(fd->get(), data);
  if (!written) {
    ::unlinkat(dir_.get(), temp.c_str(), 0);
    return SysError{written.error().code, "write " + join(shown_, temp)};
  }
  if (::renameat(dir_.get(), temp.c_str(), dir_.get(), name) != 0) {
    const SysError error = errno_error("rename " + join(shown_, temp) + " to " + name);
    ::unlinkat(dir_.get(), temp.c_str(), 0);
    return error;
  }
  return {};
}

Result<void> SuperviseServer::publish(const StatusRecord& record, bool want_exit) {
  // pid before stat, as runsv writes them: once stat says "run", pid names the process.
  std::string pid = record.pid_text();
  if (pid != last_pid_) {
    if (auto written = replace(kPid, pid); !written) return written;
    last_pid_ = std::move(pid);
  }
  std::string stat = record.stat_text(want_exit);
  if (stat != last_stat_) {
    if (auto written = replace(kStat, stat); !written) return written;
    last_stat_ = std::move(stat);
  }
  const std::vector<uint8_t> extended = record.pack_extended();
  if (auto written = replace(kStatusSvtree, std::string_view(reinterpret_cast<const char*>(
                                                                 extended.data()),
                                                             extended.size()));
      !written)
    return written;
  const std::vector<uint8_t> bytes = record.pack();
  return replace(kStatus,
                 std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void remove_supervise_dir(const std::string& dir) {
  const std::string supervise = join(dir, kSuperviseDir);
  for (const char* entry : {kOk, kControl, kStatus, kStatusSvtree, kStat, kPid, kLock})
    ::unlink(join(supervise, entry).c_str());
  ::rmdir(supervise.c_str());
}

// --- client

std::string supervise_path(const std::string& dir, std::string_view entry) {
  std::string path = join(dir, kSuperviseDir);
  if (!entry.empty()) path = join(path, entry);
  return path;
}

SupervisorPresence probe_supervisor(const std::string& dir, int* errno_out) {
  auto fd = open_ok_writer(dir);
  if (fd) return SupervisorPresence::kRunning;
  if (errno_out != nullptr) *errno_out = fd.error().code;
  switch (fd.error().code) {
    case ENXIO: return SupervisorPresence::kNotRunning;
    case ENOENT: return SupervisorPresence::kNoFifo;
    default: return SupervisorPresence::kError;
  }
}

Result<UniqueFd> open_ok_writer(const std::string& dir) {
  const std::string path = supervise_path(dir, kOk);
  auto fd = open_file(path, O_WRONLY | O_NONBLOCK);
  if (!fd) return SysError{fd.error().code, "open " + path};
  return fd;
}

Result<StatusRecord> read_service_status(const std::string& dir) {
  const std::string path = supervise_path(dir);
  auto fd = open_file(path, O_RDONLY | O_DIRECTORY);
  if (!fd) return SysError{fd.error().code, "open " + supervise_path(dir, kStatus)};
  int code = 0;
  auto record = read_record_at(fd->get(), &code);
  if (record) return *record;
  if (code == EPROTO)
    return SysError{EPROTO, "read " + supervise_path(dir, kStatus) +
                                ": bad format (expected runit's 20 bytes)"};
  return SysError{code != 0 ? code : EIO, "open " + supervise_path(dir, kStatus)};
}

Result<void> send_commands(const std::string& dir, std::span<const Command> commands) {
  std::string bytes;
  for (const Command command : commands) bytes += control_byte(command);
  const std::string path = supervise_path(dir, kControl);
  auto fd = open_file(path, O_WRONLY | O_NONBLOCK);
  if (!fd) return SysError{fd.error().code, "open " + path};
  auto written = write_all(fd->get(), bytes);
  if (!written) return SysError{written.error().code, "write to " + path};
  if (*written != bytes.size()) return SysError{EAGAIN, "write to " + path};
  return {};
}

bool record_ready_or_done(const StatusRecord& record) {
  if (!record.extension) return record.state == RunState::kRun;
  if (record.extension->phase == Phase::kDone) return true;
  return record.state == RunState::kRun && record.extension->ready();
}

std::optional<StatusRecord> read_live_status(const std::string& dir) {
  if (probe_supervisor(dir) != SupervisorPresence::kRunning) return std::nullopt;
  auto record = read_service_status(dir);
  if (!record) return std::nullopt;
  return *record;
}

}  // namespace svtree
