// SPDX-License-Identifier: MIT
// The `user` and `limits` knobs resolved against this process and this image (issue 16).
#include "svtree/service_identity.hpp"

#include <linux/capability.h>
#include <unistd.h>

#include <cerrno>

#include "svtree/privileges.hpp"
#include "svtree/resource_limits.hpp"
#include "svtree/spawner.hpp"

namespace svtree {
namespace {

constexpr const char* kStaysDown = "; run stays down until then";

void plan_limits(const ServiceKnobs& knobs, const ServicePaths& paths, ServiceIdentity& out,
                 std::vector<std::string>& warnings) {
  if (knobs.limits.empty()) return;
  const bool may_raise_hard = has_effective_capability(CAP_SYS_RESOURCE);
  for (const LimitSetting& setting : knobs.limits) {
    auto current = current_limit(setting.resource);
    if (!current) {
      warnings.push_back(current.error().message());
      continue;
    }
    if (auto planned = plan_limit(setting, *current, may_raise_hard, paths.shown("limits"),
                                  warnings))
      out.credentials.rlimits.emplace_back(setting.resource, *planned);
  }
}

std::optional<IdentityProblem> resolve_user(const UserKnob& knob, const ServicePaths& paths,
                                            ServiceIdentity& out) {
  const std::string shown = paths.shown("user");
  if (knob.read_error)
    return IdentityProblem{*knob.read_error,
                           "; make it a readable file, or remove it" + std::string(kStaysDown)};
  const auto spec = parse_user_spec(knob.text);
  if (!spec)
    return IdentityProblem{SysError{EINVAL, "use " + shown},
                           "; write NAME, NAME:GROUP or UID:GID on one line, e.g. echo nobody > " +
                               shown + kStaysDown};
  IdentityLookup lookup = resolve_identity(*spec, read_account_files(), shown);
  if (lookup.problem) return std::move(lookup.problem);
  const Identity& identity = *lookup.identity;
  if (!identity.name.empty()) {
    // Docker's USER and login(1) set HOME; a service dropped to nobody that kept root's
    // HOME would look for its files in a directory it cannot read (runit's chpst -u and
    // s6-setuidgid set nothing: supervise.8 says so). env/ still overrides them.
    out.environment = {{"HOME", identity.home}, {"USER", identity.name},
                       {"LOGNAME", identity.name}};
  }
  const bool privileged = has_effective_capability(CAP_SETUID) &&
                          has_effective_capability(CAP_SETGID);
  if (!privileged) {
    // An unprivileged supervise may only name itself; its groups stay as they are
    // (setgroups takes CAP_SETGID too).
    if (is_same_identity(identity, ::geteuid(), ::getegid())) return std::nullopt;
    // EACCES, as for a run that is not executable: the slow retry, and at once when DIR
    // changes (DIR/user edited or removed).
    return IdentityProblem{
        SysError{EACCES, "run " + paths.shown("run") + " as " + identity.shown() + ", named in " +
                            shown},
        "; supervise runs as uid " + std::to_string(::geteuid()) + ", gid " +
            std::to_string(::getegid()) +
            " without the privilege to change users: run svscan as root, or remove " + shown +
            kStaysDown};
  }
  out.credentials.groups = identity.groups;
  out.credentials.gid = identity.gid;
  out.credentials.uid = identity.uid;
  return std::nullopt;
}

}  // namespace

ServiceIdentity prepare_identity(const ServiceKnobs& knobs, const ServicePaths& paths,
                                 std::vector<std::string>& warnings) {
  ServiceIdentity out;
  plan_limits(knobs, paths, out, warnings);
  if (knobs.user) out.problem = resolve_user(*knobs.user, paths, out);
  return out;
}

void apply_credentials(const ProcessCredentials& credentials, SpawnSpec& spec) {
  spec.rlimits = credentials.rlimits;
  spec.groups = credentials.groups;
  spec.gid = credentials.gid;
  spec.uid = credentials.uid;
}

std::vector<EnvChange> script_environment_changes(const ServicePaths& paths,
                                                  const ServiceIdentity& identity,
                                                  bool as_service_user,
                                                  std::vector<std::string>& warnings) {
  auto from_envdir = read_envdir(paths.env_dir(), warnings, paths.shown("env"));
  if (!from_envdir) warnings.push_back(from_envdir.error().message());
  // The user's variables come first: env/ overrides them.
  std::vector<EnvChange> all;
  if (as_service_user) all = identity.environment;
  if (from_envdir) all.insert(all.end(), from_envdir->begin(), from_envdir->end());
  return all;
}

}  // namespace svtree
