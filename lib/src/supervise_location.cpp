// SPDX-License-Identifier: MIT
// Where supervise/ lives: the service directory, or svscan's state directory (issue #16).
#include "svtree/supervise_location.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "svtree/io.hpp"
#include "svtree/state_dir.hpp"

namespace svtree::supervise_location {
namespace {

constexpr const char* kSupervise = "supervise";

std::string join(const std::string& dir, std::string_view name) {
  std::string path = dir;
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

bool entry_exists_at(int dir_fd, const char* name) {
  struct stat st {};
  return ::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool lexists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

EntryKind classify(std::string_view entry_name, std::string_view directory_name) {
  if (!entry_name.empty() && entry_name.back() == '@') return EntryKind::kTemplate;
  // worker@1 -> worker@: the link's name says which template it runs, so a typo in
  // either is an ordinary service, never a silent instance of something else.
  // One '@' in a template's name, at its end: the instance name is what follows it.
  if (!directory_name.empty() && directory_name.find('@') == directory_name.size() - 1 &&
      entry_name.size() > directory_name.size() && entry_name.starts_with(directory_name))
    return EntryKind::kInstance;
  return EntryKind::kService;
}

std::string_view instance_name(std::string_view entry_name) {
  const size_t at = entry_name.find('@');
  return at == std::string_view::npos ? std::string_view() : entry_name.substr(at + 1);
}

EntryKind classify_entry(const std::string& scan_dir, std::string_view name) {
  const std::string_view first = name.substr(0, name.find('/'));
  if (first.find('@') == std::string_view::npos) return EntryKind::kService;
  if (first.back() == '@') return EntryKind::kTemplate;
  char resolved[PATH_MAX];
  if (::realpath(join(scan_dir, first).c_str(), resolved) == nullptr)
    return EntryKind::kService;
  const std::string_view real(resolved);
  return classify(first, real.substr(real.rfind('/') + 1));
}

std::string state_home(const std::string& tree_dir, std::string_view name) {
  return join(join(tree_dir, "services"), name);
}

std::string client_home(const std::string& scan_dir, std::string_view name,
                        const std::string& tree_dir) {
  return client_home(scan_dir, name, [&] { return tree_dir; });
}

std::string client_home(const std::string& scan_dir, std::string_view name,
                        const std::function<std::string()>& find_tree) {
  const std::string dir = join(scan_dir, name);
  const bool instance = classify_entry(scan_dir, name) == EntryKind::kInstance;
  // runit's place wins whenever it exists: sv, svstat and runsv see the same directory.
  if (!instance && lexists(join(dir, kSupervise))) return dir;
  const std::string tree_dir = find_tree();
  if (tree_dir.empty()) return dir;
  const std::string state = state_home(tree_dir, name);
  if (instance) return state;
  // Only supervise's choose_home makes the state home, and only when it keeps supervise/
  // there: the directory alone says so, before supervise/ is made inside it.
  return lexists(state) ? state : dir;
}

std::string stderr_log_dir(const std::string& scan_dir, std::string_view name,
                           const std::string& tree_dir) {
  const bool instance = classify_entry(scan_dir, name) == EntryKind::kInstance;
  const std::string home = instance && !tree_dir.empty() ? state_home(tree_dir, name)
                                                         : join(scan_dir, name);
  return join(join(home, "log"), "err");
}

std::string tree_dir_from_environment(const std::string& scan_dir) {
  const char* svdir = std::getenv("SVDIR");
  if (svdir == nullptr || *svdir != '/') return {};
  struct stat listed {};
  struct stat ours {};
  if (::stat(svdir, &listed) != 0 || ::stat(scan_dir.c_str(), &ours) != 0 ||
      listed.st_dev != ours.st_dev || listed.st_ino != ours.st_ino)
    return {};
  return state_dir::live_tree_dir_for(svdir);
}

Result<std::string> choose_home(int dir_fd, const std::string& dir, std::string_view name,
                                bool instance, const std::function<std::string()>& find_tree) {
  std::string tree_dir;
  if (!instance) {
    if (entry_exists_at(dir_fd, kSupervise)) return dir;
    if (::mkdirat(dir_fd, kSupervise, 0700) == 0 || errno == EEXIST) return dir;
    const int code = errno;
    const bool unwritable = code == EROFS || code == EACCES || code == EPERM;
    if (unwritable) tree_dir = find_tree();
    if (!unwritable || tree_dir.empty())
      return SysError{code, "create directory " + join(dir, kSupervise) +
                                (unwritable ? " (make it a symlink into a writable place such"
                                              " as /run, or run the tree under svscan, which"
                                              " keeps it in its state directory)"
                                            : "")};
  } else if ((tree_dir = find_tree()).empty()) {
    return SysError{ENOENT, "find svscan's state directory for instance " + std::string(name) +
                                " (an instance keeps supervise/ there: its template is shared;"
                                " run it under svscan)"};
  }
  std::string home = state_home(tree_dir, name);
  if (auto made = make_directories(home, 0755); !made) return made.error();
  return home;
}

std::string supervise_tree_dir(const std::string& dir, int dir_fd) {
  const char* svdir = std::getenv("SVDIR");
  if (svdir == nullptr || *svdir != '/' || dir.empty() || dir.front() == '/' ||
      dir.front() == '.')
    return {};
  struct stat listed {};
  struct stat ours {};
  if (::stat(join(svdir, dir).c_str(), &listed) != 0 || ::fstat(dir_fd, &ours) != 0 ||
      listed.st_dev != ours.st_dev || listed.st_ino != ours.st_ino)
    return {};
  return state_dir::live_tree_dir_for(svdir);
}

}  // namespace svtree::supervise_location
