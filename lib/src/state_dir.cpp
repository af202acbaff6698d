// SPDX-License-Identifier: MIT
// svscan's state directory: where it is, what it is called, what it holds.
#include "svtree/state_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "svtree/io.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::state_dir {
namespace {

bool really_creatable(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return ::access(dir.c_str(), W_OK | X_OK) == 0;
  return false;
}

// Every record is ROOT/TREE/scandir; a held lock on ROOT/TREE/lock means its svscan lives.
bool lock_is_held(const std::string& tree_dir) {
  const int fd = ::open((tree_dir + "/lock").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

bool read_live(const std::string& tree, LiveTree& out) {
  if (!lock_is_held(tree)) return false;
  const std::string record_path = tree + "/scandir";
  const auto text = read_small_file(record_path, 8192);
  if (!text || !parse_record(*text, out.record)) return false;
  struct stat st {};
  if (::stat(record_path.c_str(), &st) != 0) return false;
  out.dir = tree;
  out.started_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

}  // namespace

std::string canonical_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) != nullptr) return resolved;
  return absolute_path(path);
}

std::string choose_root(const char* env_state_dir, const char* env_xdg_runtime, uid_t uid,
                        bool (*creatable)(const std::string& dir)) {
  if (env_state_dir != nullptr && *env_state_dir != '\0') return env_state_dir;
  if (creatable("/run/svtree")) return "/run/svtree";
  if (env_xdg_runtime != nullptr && *env_xdg_runtime == '/') {
    const std::string xdg = std::string(env_xdg_runtime) + "/svtree";
    if (creatable(xdg)) return xdg;
  }
  return "/tmp/svtree-" + std::to_string(uid);
}

std::string root() {
  return choose_root(std::getenv("SVTREE_STATE_DIR"), std::getenv("XDG_RUNTIME_DIR"),
                     ::getuid(), really_creatable);
}

std::string tree_name(std::string_view path) {
  std::string name;
  name.reserve(path.size() + 16);
  for (const char c : path) {
    if (c == '%') name += "%25";
    else if (c == '/') name += "%2F";
    else name += c;
  }
  if (name.size() <= 200) return name;
  uint64_t hash = 14695981039346656037ull;
  for (const char c : path) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "#%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

std::string tree_dir(const std::string& root, std::string_view absolute_scan_dir) {
  return root + "/" + tree_name(absolute_scan_dir);
}

std::string format_record(std::string_view absolute_scan_dir, pid_t pid) {
  return std::string(absolute_scan_dir) + "\n" + std::to_string(pid) + "\n";
}

bool parse_record(std::string_view text, Record& out) {
  const size_t first = text.find('\n');
  if (first == std::string_view::npos || first == 0 || text[0] != '/') return false;
  const size_t second = text.find('\n', first + 1);
  if (second == std::string_view::npos) return false;
  const std::string pid(text.substr(first + 1, second - first - 1));
  char* end = nullptr;
  const long value = std::strtol(pid.c_str(), &end, 10);
  if (pid.empty() || *end != '\0' || value <= 0 || value > INT_MAX) return false;
  out.scan_dir = std::string(text.substr(0, first));
  out.pid = static_cast<pid_t>(value);
  return true;
}

std::vector<LiveTree> live_trees(const std::string& root) {
  std::vector<LiveTree> trees;
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) return trees;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    LiveTree tree;
    if (read_live(root + "/" + entry->d_name, tree)) trees.push_back(std::move(tree));
  }
  ::closedir(dir);
  std::sort(trees.begin(), trees.end(),
            [](const LiveTree& a, const LiveTree& b) { return a.started_ns < b.started_ns; });
  return trees;
}

std::string find_scan_dir(const char* env_svdir) {
  if (env_svdir != nullptr && *env_svdir != '\0') return env_svdir;
  const auto trees = live_trees(root());
  if (!trees.empty()) return trees.front().record.scan_dir;
  return "/etc/service";
}

std::string live_tree_dir_for(const std::string& svdir) {
  const std::string dir = tree_dir(root(), canonical_path(svdir));
  LiveTree tree;
  return read_live(dir, tree) ? dir : std::string();
}

std::string absolute_path(std::string_view path) {
  std::string joined;
  if (path.empty() || path[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) joined = cwd;
    joined += '/';
  }
  joined += path;
  std::string out;
  size_t at = 0;
  while (at < joined.size()) {
    const size_t next = std::min(joined.find('/', at), joined.size());
    const std::string_view part = std::string_view(joined).substr(at, next - at);
    if (!part.empty() && part != ".") {
      out += '/';
      out += part;
    }
    at = next + 1;
  }
  return out.empty() ? "/" : out;
}

Result<void> request_rescan(const std::string& tree_dir) {
  const std::string control = tree_dir + "/" + kControlName;
  auto fd = open_file(control, O_WRONLY | O_NONBLOCK);
  if (!fd) return fd.error();
  auto written = write_all(fd->get(), std::string_view(&kRescanByte, 1));
  if (!written) return SysError{written.error().code, "write to " + control};
  return {};
}

}  // namespace svtree::state_dir
