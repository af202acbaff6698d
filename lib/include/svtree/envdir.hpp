// SPDX-License-Identifier: MIT
// envdir: a directory of files, each setting (or unsetting) one environment variable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svtree/result.hpp"

namespace svtree {

struct EnvChange {
  std::string name;
  std::optional<std::string> value;  // nullopt: unset (the file was empty)
};

/// Decodes one envdir file as chpst -e and s6-envdir do: the first line, trailing blanks
/// removed, NUL bytes read as newlines; an empty file means "unset".
std::optional<std::string> decode_envdir_value(std::string_view content);

/// Reads every entry of dir (dot files and names containing '=' are skipped, with a
/// warning line added). A missing dir is no error: it yields no changes.
/// Entries that are not regular files (a FIFO would block) are skipped with a warning.
/// shown names dir in warnings (empty: dir itself).
Result<std::vector<EnvChange>> read_envdir(const std::string& dir,
                                           std::vector<std::string>& warnings,
                                           const std::string& shown = {});

/// base ("NAME=value" strings) overlaid by changes, in base's order then new names.
std::vector<std::string> apply_env_changes(const std::vector<std::string>& base,
                                           const std::vector<EnvChange>& changes);

/// The current process's environ as strings.
std::vector<std::string> current_environment();

}  // namespace svtree
