// SPDX-License-Identifier: MIT
// envdir reading and overlay.
#include "svtree/envdir.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>

#include "svtree/io.hpp"

extern char** environ;

namespace svtree {

std::optional<std::string> decode_envdir_value(std::string_view content) {
  if (content.empty()) return std::nullopt;
  const size_t newline = content.find('\n');
  std::string value(content.substr(0, newline));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  std::replace(value.begin(), value.end(), '\0', '\n');
  return value;
}

Result<std::vector<EnvChange>> read_envdir(const std::string& dir,
                                           std::vector<std::string>& warnings,
                                           const std::string& shown) {
  std::vector<EnvChange> changes;
  const std::string& named = shown.empty() ? dir : shown;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return changes;
    return errno_error("open directory " + named);
  }
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name.empty() || name[0] == '.') continue;
    const std::string path = dir + "/" + name;
    const std::string shown_path = named + "/" + name;
    if (name.find('=') != std::string::npos) {
      warnings.push_back("ignoring " + shown_path + ": a variable name cannot contain '='; rename it");
      continue;
    }
    auto content = read_small_file(path, 1 << 20);
    if (!content) {
      if (content.error().code == EINVAL)
        warnings.push_back("ignoring " + shown_path + ": not a regular file; replace it with one");
      else
        warnings.push_back(SysError{content.error().code, "read " + shown_path}.message());
      continue;
    }
    changes.push_back({name, decode_envdir_value(*content)});
  }
  ::closedir(handle);
  // readdir order is arbitrary; a stable order makes the environment reproducible.
  std::sort(changes.begin(), changes.end(),
            [](const EnvChange& a, const EnvChange& b) { return a.name < b.name; });
  return changes;
}

std::vector<std::string> apply_env_changes(const std::vector<std::string>& base,
                                           const std::vector<EnvChange>& changes) {
  std::vector<std::string> result;
  result.reserve(base.size() + changes.size());
  auto find_change = [&](std::string_view name) -> const EnvChange* {
    for (const EnvChange& change : changes)
      if (change.name == name) return &change;
    return nullptr;
  };
  for (const std::string& entry : base) {
    const size_t eq = entry.find('=');
    const std::string_view name = std::string_view(entry).substr(0, eq);
    if (find_change(name) == nullptr) result.push_back(entry);
  }
  for (const EnvChange& change : changes)
    if (change.value) result.push_back(change.name + "=" + *change.value);
  return result;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
    env.emplace_back(*entry);
  return env;
}

}  // namespace svtree
