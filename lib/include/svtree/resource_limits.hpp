// SPDX-License-Identifier: MIT
// The `limits` knob (issue 16): lines of `RESOURCE SOFT [HARD]`, as s6-softlimit and chpst
// -o/-p/-c/... set them, and what to hand setrlimit given the limits we hold now. Pure.
#pragma once

#include <sys/resource.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svtree {

/// One line of a limits file. A value is a decimal number or `unlimited` (RLIM_INFINITY).
struct LimitSetting {
  int resource = 0;            // RLIMIT_NOFILE, ...
  std::string name;            // "nofile", for messages
  rlim_t soft = 0;
  std::optional<rlim_t> hard;  // absent: the hard limit stays as it is
  size_t line = 0;             // 1-based, for messages
};

/// The resource of a name: as, core, cpu, data, fsize, locks, memlock, msgqueue, nice,
/// nofile, nproc, rss, rtprio, rttime, sigpending, stack (prlimit(1)'s names).
std::optional<int> parse_resource_name(std::string_view name);

/// Parses a limits file. Blank lines and lines starting with # are skipped. A bad line
/// (unknown resource, not a number, soft above hard, a resource given twice) adds one
/// warning naming shown and the line number, and the other lines still apply.
std::vector<LimitSetting> parse_limits(std::string_view text, const std::string& shown,
                                       std::vector<std::string>& warnings);

/// What setrlimit gets for setting, given the limit held now: the hard limit is kept when
/// the line gives none. nullopt, with one warning, when it cannot work: a soft limit above
/// the hard one, or a hard limit raised without CAP_SYS_RESOURCE (may_raise_hard false).
std::optional<struct rlimit> plan_limit(const LimitSetting& setting, const struct rlimit& current,
                                        bool may_raise_hard, const std::string& shown,
                                        std::vector<std::string>& warnings);

}  // namespace svtree
