// SPDX-License-Identifier: MIT
// ServiceIdentity: what the `user` and `limits` knobs make of a start (issue 16): the
// credentials run, finish, check and stop get, the variables that go with the user, or
// why run may not start at all (it then stays down, with one warning, and the tree runs on).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "script_spawner.hpp"
#include "svtree/accounts.hpp"
#include "svtree/envdir.hpp"
#include "svtree/service_dir.hpp"

namespace svtree::supervise {

struct ServiceIdentity {
  ProcessCredentials credentials;  // nothing set: supervise's own identity and limits
  /// HOME, USER and LOGNAME of a user named in /etc/passwd, overlaid by env/.
  std::vector<EnvChange> environment;
  /// Set when `user` cannot be honoured: no script of the service may start.
  std::optional<IdentityProblem> problem;
};

/// Reads /etc/passwd, /etc/group, our capabilities and our limits, and decides. Limits
/// that cannot apply add a warning each and are left out; paths names the knob files.
ServiceIdentity prepare_identity(const ServiceKnobs& knobs, const ServicePaths& paths,
                                 std::vector<std::string>& warnings);

}  // namespace svtree::supervise
