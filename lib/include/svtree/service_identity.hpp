// SPDX-License-Identifier: MIT
// ServiceIdentity: what the `user` and `limits` knobs make of a start (issue 16): the
// credentials run, finish, check and stop get, the variables that go with the user, or
// why run may not start at all (it then stays down, with one warning, and the tree runs on).
// One owner for every program that starts a script of a service: supervise, and svctl's
// `check`, whose ./check must run as the one supervise runs (same user, limits, env/).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "svtree/accounts.hpp"
#include "svtree/envdir.hpp"
#include "svtree/service_dir.hpp"

namespace svtree {

struct SpawnSpec;

/// Who a script runs as and with which rlimits (the `user` and `limits` knobs, issue 16);
/// lib's spawner applies them in the child: rlimits, then groups, gid, uid.
struct ProcessCredentials {
  std::vector<std::pair<int, struct rlimit>> rlimits;
  std::optional<std::vector<gid_t>> groups;
  std::optional<gid_t> gid;
  std::optional<uid_t> uid;
};

/// Copies credentials into spec, for the child to apply before exec.
void apply_credentials(const ProcessCredentials& credentials, SpawnSpec& spec);

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

/// The environment changes a script of the service starts with, in order: the user's
/// HOME, USER and LOGNAME when as_service_user (issue 16), then env/ over them. What env/
/// could not give is added to warnings; the rest still applies.
std::vector<EnvChange> script_environment_changes(const ServicePaths& paths,
                                                  const ServiceIdentity& identity,
                                                  bool as_service_user,
                                                  std::vector<std::string>& warnings);

}  // namespace svtree
