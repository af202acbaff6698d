// SPDX-License-Identifier: MIT
// Templates and instances in a scan directory's listing (issue 16): `worker@` is not a
// service, `worker@1 -> worker@` is one of its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scan_diff.hpp"

namespace svtree::svscan {

/// Drops the templates from a listing of scan_dir and names each instance's instance
/// (lib supervise_location's rule, which svctl applies too).
void apply_templates(const std::string& scan_dir, std::vector<ScanEntry>& listing);

/// The environment of an instance's supervise (and so of every script under it, its
/// logger's too): ours with SVTREE_INSTANCE set to the instance name.
std::vector<std::string> instance_environment(const std::string& instance);

/// The environment for `supervise dir` (dir: NAME or NAME/log, relative to the scan
/// directory, our cwd): instance_environment for (the logger of) an instance; nullopt for
/// any other service, which inherits ours.
std::optional<std::vector<std::string>> supervise_environment(const std::string& dir);

}  // namespace svtree::svscan
