// SPDX-License-Identifier: MIT
// svctl log: finding the directory, the last lines, following with inotify.
#include "log_command.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <map>

#include "service.hpp"
#include "svtree/inotify.hpp"
#include "svtree/io.hpp"
#include "svtree/state_dir.hpp"
#include "svtree/supervise_location.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/tai64n.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svctl {
namespace {

constexpr size_t kLabelSize = 25;  // "@" + 24 hex digits
constexpr size_t kUtcSize = 25;    // "YYYY-MM-DD_HH:MM:SS.xxxxx"

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view text) {
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

std::string format_local(time_t seconds, std::string_view fraction) {
  tm local{};
  if (::localtime_r(&seconds, &local) == nullptr) return {};
  char text[32];
  const size_t n = ::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  std::string out(text, n);
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  return out;
}

/// -tt and -ttt stamps: UTC, separator '_' or 'T'. nullopt unless the shape is exact.
std::optional<std::string> localize_utc(std::string_view stamp) {
  if (stamp.size() != kUtcSize || stamp[4] != '-' || stamp[7] != '-' ||
      (stamp[10] != '_' && stamp[10] != 'T') || stamp[13] != ':' || stamp[16] != ':' ||
      stamp[19] != '.')
    return std::nullopt;
  const std::string_view fields[] = {stamp.substr(0, 4),  stamp.substr(5, 2),
                                     stamp.substr(8, 2),  stamp.substr(11, 2),
                                     stamp.substr(14, 2), stamp.substr(17, 2),
                                     stamp.substr(20, 5)};
  for (const std::string_view field : fields)
    if (!all_digits(field)) return std::nullopt;
  tm utc{};
  utc.tm_year = number(fields[0]) - 1900;
  utc.tm_mon = number(fields[1]) - 1;
  utc.tm_mday = number(fields[2]);
  utc.tm_hour = number(fields[3]);
  utc.tm_min = number(fields[4]);
  utc.tm_sec = number(fields[5]);
  const time_t seconds = ::timegm(&utc);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return format_local(seconds, fields[6]);
}

bool write_line(const std::string& line) {
  return write_all(STDOUT_FILENO, localize_stamp(line) + "\n").ok();
}

/// Splits complete lines off pending, printing each; false once stdout is gone.
bool print_complete_lines(std::string& pending) {
  size_t begin = 0;
  for (size_t end = pending.find('\n'); end != std::string::npos;
       end = pending.find('\n', begin)) {
    if (!write_line(pending.substr(begin, end - begin))) return false;
    begin = end + 1;
  }
  pending.erase(0, begin);
  return true;
}

/// Reads fd to its current end into pending.
void drain(int fd, std::string& pending) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      pending.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

/// svlogd's rotated files, oldest first: "@" + TAI64N label, so their names sort by time.
std::vector<std::string> rotated_files(const std::string& dir) {
  std::vector<std::string> names;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return names;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (name.size() == kLabelSize + 2 && name[0] == '@' &&
        (name.ends_with(".s") || name.ends_with(".u")))
      names.emplace_back(name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_whole(int fd) {
  std::string text;
  drain(fd, text);
  return text;
}

dev_t inode_of(int fd, ino_t& inode) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return 0;
  inode = st.st_ino;
  return st.st_dev;
}

/// The rotated files made after the one with inode `old` and before the one with inode
/// `stop`, oldest first: rotations that happened between two wake-ups (with a small `s`,
/// several can), whose lines neither the old descriptor nor the new current holds. Empty
/// when the old file is gone (a processor replaced it): nothing tells where to resume.
std::vector<std::string> rotated_between(const std::string& dir, ino_t old, ino_t stop) {
  std::vector<std::string> between;
  bool after_old = false;
  for (const std::string& name : rotated_files(dir)) {
    struct stat st {};
    if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;
    if (!after_old) {
      after_old = st.st_ino == old;
      continue;
    }
    if (st.st_ino == stop) break;
    between.push_back(name);
  }
  return between;
}

/// Prints the last n lines of dir; with follow, goes on printing what is appended, across
/// rotations, until stdout goes away. Idle, it sleeps in poll() on an inotify descriptor.
int show_log(const std::string& dir, const LogRequest& request) {
  std::optional<Inotify> notify;
  if (request.follow) {
    // Watched before current is read: nothing appended after our read goes unnoticed.
    auto made = Inotify::create();
    if (!made) {
      (void)write_all(STDERR_FILENO, "svctl: fatal: " + made.error().message() + "\n");
      return 111;
    }
    notify.emplace(std::move(*made));
    auto added = notify->add_watch(dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                            IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
    if (!added) {
      (void)write_all(STDERR_FILENO, "svctl: fatal: " + added.error().message() + "\n");
      return 111;
    }
  }
  UniqueFd current(::open((dir + "/current").c_str(), O_RDONLY | O_CLOEXEC));
  std::vector<std::string> texts;
  std::string pending = current.valid() ? read_whole(current.get()) : std::string();
  // Older files only as far back as n lines need.
  size_t have = static_cast<size_t>(std::count(pending.begin(), pending.end(), '\n'));
  const std::vector<std::string> older = rotated_files(dir);
  for (auto it = older.rbegin(); it != older.rend() && have < request.lines; ++it) {
    auto text = read_small_file(dir + "/" + *it, size_t{1} << 30);
    if (!text) continue;
    have += static_cast<size_t>(std::count(text->begin(), text->end(), '\n'));
    texts.insert(texts.begin(), std::move(*text));
  }
  // Following, a line still being written waits for its newline.
  std::string partial;
  if (request.follow && !pending.empty() && pending.back() != '\n') {
    const size_t cut = pending.rfind('\n');
    partial = pending.substr(cut == std::string::npos ? 0 : cut + 1);
    pending.erase(cut == std::string::npos ? 0 : cut + 1);
  }
  texts.push_back(std::move(pending));
  for (const std::string& line : last_lines(texts, request.lines))
    if (!write_line(line)) return 0;
  if (!request.follow) return 0;

  ino_t inode = 0;
  if (current.valid()) inode_of(current.get(), inode);
  for (;;) {
    pollfd wait{notify->fd(), POLLIN, 0};
    if (::poll(&wait, 1, -1) < 0 && errno != EINTR) return 111;
    (void)notify->read_events();  // which event does not matter: look at the files
    if (current.valid()) {
      drain(current.get(), partial);
      if (!print_complete_lines(partial)) return 0;
    }
    // Rotated: the open descriptor is the old file (drained above, it was fsynced and
    // renamed whole); a new current starts from its first byte.
    UniqueFd now(::open((dir + "/current").c_str(), O_RDONLY | O_CLOEXEC));
    if (!now.valid()) continue;
    ino_t now_inode = 0;
    inode_of(now.get(), now_inode);
    if (current.valid() && now_inode == inode) continue;
    if (current.valid()) {
      drain(current.get(), partial);
      if (!partial.empty()) partial += '\n';  // the old file's unfinished last line
      if (!print_complete_lines(partial)) return 0;
      for (const std::string& name : rotated_between(dir, inode, now_inode)) {
        auto text = read_small_file(dir + "/" + name, size_t{1} << 30);
        if (!text) continue;
        partial = std::move(*text);
        if (!partial.empty() && partial.back() != '\n') partial += '\n';
        if (!print_complete_lines(partial)) return 0;
      }
    }
    current = std::move(now);
    inode = now_inode;
    drain(current.get(), partial);
    if (!print_complete_lines(partial)) return 0;
  }
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::optional<LogRequest> parse_log_request(const std::vector<std::string>& args,
                                            std::string& error) {
  LogRequest request;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-f") {
      request.follow = true;
    } else if (arg == "--stderr") {
      request.stderr_stream = true;
    } else if (arg == "-n" || (arg.starts_with("-n") && arg.size() > 2)) {
      const std::string value = arg.size() > 2 ? arg.substr(2) : i + 1 < args.size() ? args[++i] : "";
      if (!all_digits(value) || value.size() > 9) {
        error = "-n takes a number of lines";
        return std::nullopt;
      }
      request.lines = static_cast<size_t>(number(value));
    } else if (!arg.empty() && arg[0] == '-') {
      error = "unknown option " + arg + " for log";
      return std::nullopt;
    } else if (request.name.empty()) {
      request.name = arg;
    } else {
      error = "log takes one service";
      return std::nullopt;
    }
  }
  if (request.name.empty()) {
    error = "log needs a service";
    return std::nullopt;
  }
  return request;
}

std::string localize_stamp(std::string_view line) {
  if (line.size() > kLabelSize && line[0] == '@' && line[kLabelSize] == ' ') {
    if (const auto stamp = Tai64n::parse_label(line.substr(0, kLabelSize))) {
      char fraction[10];
      std::snprintf(fraction, sizeof fraction, "%09u", stamp->nanoseconds);
      const std::string local = format_local(static_cast<time_t>(stamp->unix_seconds()), fraction);
      if (!local.empty()) return local + std::string(line.substr(kLabelSize));
    }
  }
  if (line.size() > kUtcSize && line[kUtcSize] == ' ')
    if (const auto local = localize_utc(line.substr(0, kUtcSize)))
      return *local + std::string(line.substr(kUtcSize));
  return std::string(line);
}

std::vector<std::string> last_lines(const std::vector<std::string>& texts, size_t n) {
  std::vector<std::string> lines;
  for (auto text = texts.rbegin(); text != texts.rend() && lines.size() < n; ++text) {
    std::string_view rest = *text;
    if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
    else if (rest.empty()) continue;
    while (lines.size() < n) {
      const size_t cut = rest.rfind('\n');
      lines.emplace_back(rest.substr(cut == std::string_view::npos ? 0 : cut + 1));
      if (cut == std::string_view::npos) break;
      rest = rest.substr(0, cut);
    }
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> logger_directories(pid_t pid) {
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  std::map<int, std::string> by_fd;
  DIR* listing = ::opendir(fds.c_str());
  if (listing == nullptr) return {};
  const int dir_fd = ::dirfd(listing);
  while (const dirent* entry = ::readdir(listing)) {
    if (entry->d_name[0] == '.') continue;
    auto target = read_link(dir_fd, entry->d_name);
    if (!target || !target->ends_with("/lock")) continue;
    by_fd.emplace(std::atoi(entry->d_name), target->substr(0, target->size() - 5));
  }
  ::closedir(listing);
  std::vector<std::string> dirs;
  for (auto& [fd, dir] : by_fd) dirs.push_back(std::move(dir));
  return dirs;
}

int run_log_command(const std::vector<std::string>& args, const std::string& svdir) {
  std::string error;
  const auto request = parse_log_request(args, error);
  if (!request) {
    (void)write_all(STDERR_FILENO, "svctl: usage: svctl log SERVICE [-f] [-n N] [--stderr] (" +
                                       error + ")\n");
    return 100;
  }
  const std::string dir = resolve_service_dir(request->name, svdir);
  if (!is_directory(dir)) {
    (void)write_all(STDERR_FILENO, "fail: " + request->name + ": service directory " + dir +
                                       " does not exist\n");
    return 1;
  }
  if (!is_directory(dir + "/log")) {
    // svscan keeps no copy of these lines (it would be PID 1 writing files, on the path
    // of every labelled line): say where they are and how to keep them.
    (void)write_all(STDERR_FILENO,
                    "fail: " + request->name + ": no log/: its lines go to svscan's standard "
                    "output, labelled \"" + request->name + ": \" (in a container: docker logs); "
                    "for a directory svctl log reads, give it a log/run such as "
                    "'exec svlog -tt ./main'\n");
    return 1;
  }
  std::string log_dir;
  // An instance keeps its supervise/ records and its stderr in svscan's state directory:
  // its template's directory is its siblings' too.
  const std::string tree = state_dir::live_tree_dir_for(svdir);
  const ServiceRef ref = make_service_ref(request->name, svdir, tree);
  if (request->stderr_stream) {
    // svscan's own svlog writes there for `stderr separate` (svtree-servicedir(5)); an
    // instance's is beside its logger's supervise/ (supervise_location::stderr_log_dir).
    log_dir = ref.instance.empty()
                  ? dir + "/log/err"
                  : supervise_location::stderr_log_dir(svdir, request->name, tree);
    if (!is_directory(log_dir)) {
      (void)write_all(STDERR_FILENO, "fail: " + request->name + ": no " + log_dir +
                                         ": its stderr is not kept apart (echo separate > " +
                                         dir + "/stderr)\n");
      return 1;
    }
  } else {
    // Where the running logger writes, as the kernel knows it; stopped, log/main, the
    // directory every example's log/run names.
    // The logger's pid from its supervise's record (the protocol module reads it).
    const std::string logger_home = ref.log_home.empty() ? dir + "/log" : ref.log_home;
    if (const auto record = read_service_status(logger_home); record && record->pid > 0) {
      const auto dirs = logger_directories(static_cast<pid_t>(record->pid));
      if (!dirs.empty()) log_dir = dirs.front();
    }
    if (log_dir.empty() && is_directory(dir + "/log/main")) log_dir = dir + "/log/main";
    if (log_dir.empty()) {
      (void)write_all(STDERR_FILENO,
                      "fail: " + request->name + ": unable to find its log directory: no "
                      "logger runs in " + dir + "/log (svctl status " + request->name +
                      "/log) and there is no " + dir + "/log/main\n");
      return 1;
    }
  }
  return show_log(log_dir, *request);
}

}  // namespace svtree::svctl
