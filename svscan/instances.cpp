// SPDX-License-Identifier: MIT
// Templates and instances in a scan directory's listing.
#include "instances.hpp"

#include "svtree/envdir.hpp"
#include "svtree/supervise_location.hpp"

namespace svtree::svscan {

void apply_templates(const std::string& scan_dir, std::vector<ScanEntry>& listing) {
  using supervise_location::EntryKind;
  std::erase_if(listing, [&](ScanEntry& entry) {
    switch (supervise_location::classify_entry(scan_dir, entry.name)) {
      case EntryKind::kTemplate: return true;
      case EntryKind::kInstance:
        entry.instance = std::string(supervise_location::instance_name(entry.name));
        return false;
      case EntryKind::kService: return false;
    }
    return false;
  });
}

std::vector<std::string> instance_environment(const std::string& instance) {
  return apply_env_changes(current_environment(),
                           {EnvChange{supervise_location::kInstanceVariable, instance}});
}

std::optional<std::vector<std::string>> supervise_environment(const std::string& dir) {
  if (supervise_location::classify_entry(".", dir) != supervise_location::EntryKind::kInstance)
    return std::nullopt;
  return instance_environment(
      std::string(supervise_location::instance_name(dir.substr(0, dir.find('/')))));
}

}  // namespace svtree::svscan
