// SPDX-License-Identifier: MIT
// The system side of the `user` and `limits` knobs (issue 16): reading /etc/passwd and
// /etc/group, our capabilities, the limits we hold. The parsing is svtree/accounts.hpp's
// and svtree/resource_limits.hpp's.
#pragma once

#include <sys/resource.h>

#include "svtree/accounts.hpp"
#include "svtree/result.hpp"

namespace svtree {

/// /etc/passwd and /etc/group as they are now (read at every start, so an edit applies at
/// the next one). A file that cannot be read is nullopt with its error.
AccountFiles read_account_files();

/// Is capability cap (CAP_SETUID, CAP_SYS_RESOURCE…) in our effective set? root in a
/// container started with --cap-drop has not; false when it cannot be read.
[[nodiscard]] bool has_effective_capability(int cap);

/// getrlimit(resource).
Result<struct rlimit> current_limit(int resource);

}  // namespace svtree
