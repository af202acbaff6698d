// SPDX-License-Identifier: MIT
// diff_scan: one pass over each side with a hash of ids.
#include "scan_diff.hpp"

#include <functional>
#include <string_view>
#include <unordered_map>

namespace svtree::svscan {
namespace {

// A service's identity: its directory, and which instance of it (issue 16).
struct ServiceKey {
  FileId id;
  std::string_view instance;
  friend bool operator==(const ServiceKey&, const ServiceKey&) = default;
};

struct ServiceKeyHash {
  size_t operator()(const ServiceKey& key) const noexcept {
    return std::hash<unsigned long long>{}(static_cast<unsigned long long>(key.id.ino) *
                                               1000003ULL ^
                                           static_cast<unsigned long long>(key.id.dev)) ^
           std::hash<std::string_view>{}(key.instance);
  }
};

}  // namespace

ScanDiff diff_scan(std::span<const KnownService> known, std::span<const ScanEntry> listing) {
  ScanDiff diff;
  std::unordered_map<ServiceKey, size_t, ServiceKeyHash> by_id;
  by_id.reserve(known.size());
  for (size_t i = 0; i < known.size(); ++i)
    by_id.emplace(ServiceKey{known[i].id, known[i].instance}, i);

  // One entry stands for each service listed under several names (issue 16): the one
  // with the name it is known by, else the first name in sorted order, so the choice
  // does not depend on readdir's order (a rescan never flips it into a rename) and is
  // the name svctl shows.
  std::unordered_map<ServiceKey, size_t, ServiceKeyHash> listed;
  listed.reserve(listing.size());
  for (size_t e = 0; e < listing.size(); ++e) {
    const ScanEntry& entry = listing[e];
    const ServiceKey key{entry.id, entry.instance};
    const auto [chosen, fresh] = listed.emplace(key, e);
    if (fresh) continue;
    const auto found = by_id.find(key);
    const std::string& current = listing[chosen->second].name;
    const bool known_name_now = found != by_id.end() && known[found->second].name == current;
    if (!known_name_now && ((found != by_id.end() && known[found->second].name == entry.name) ||
                            entry.name < current))
      chosen->second = e;
  }
  std::vector<bool> seen(known.size(), false);
  for (size_t e = 0; e < listing.size(); ++e) {
    const ScanEntry& entry = listing[e];
    const ServiceKey key{entry.id, entry.instance};
    if (const size_t chosen = listed.at(key); chosen != e) {
      diff.duplicates.push_back({e, chosen});
      continue;
    }
    const auto found = by_id.find(key);
    if (found == by_id.end()) {
      diff.added.push_back(e);
      continue;
    }
    const size_t k = found->second;
    seen[k] = true;
    const KnownService& service = known[k];
    if (service.name != entry.name) diff.renamed.push_back({k, e});
    if (!service.log && entry.log) diff.log_added.push_back({k, e});
    else if (service.log && !entry.log) diff.log_removed.push_back({k, e});
    else if (service.log && entry.log && !(*service.log == *entry.log))
      diff.log_replaced.push_back({k, e});
  }
  for (size_t k = 0; k < known.size(); ++k)
    if (!seen[k]) diff.removed.push_back(k);
  return diff;
}

}  // namespace svtree::svscan
