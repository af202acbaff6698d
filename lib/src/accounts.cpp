// SPDX-License-Identifier: MIT
// The `user` knob and passwd(5)/group(5) text, pure (issue 16).
#include "svtree/accounts.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace svtree {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

/// A uid or gid: decimal digits only, below 2^32 - 1 ((uid_t)-1 means "unchanged" to the
/// set*id calls, never an identity).
std::optional<uint32_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

/// line split at ':' (at most max_fields + 1 pieces, so a line with too many is seen).
std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  for (;;) {
    const size_t end = line.find(separator, at);
    if (end == std::string_view::npos) {
      fields.push_back(line.substr(at));
      return fields;
    }
    fields.push_back(line.substr(at, end - at));
    at = end + 1;
  }
}

/// Calls each(line) for every line of text, without its newline (and a CR before it).
template <class Each>
void for_each_line(std::string_view text, Each each) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (each(line)) return;
    if (end == std::string_view::npos) return;
    text.remove_prefix(end + 1);
  }
}

/// Comments, blank lines and NIS compat entries ("+", "-name") are no accounts here: a
/// static binary has no NIS either.
bool is_skipped_line(std::string_view line) {
  return line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-';
}

std::string number(uint32_t id) { return std::to_string(id); }

}  // namespace

bool UserSpec::numeric() const {
  return parse_id(user).has_value() && parse_id(group).has_value();
}

std::optional<UserSpec> parse_user_spec(std::string_view text) {
  const std::string_view spec = trim(text);
  if (spec.empty()) return std::nullopt;
  if (std::any_of(spec.begin(), spec.end(), is_blank)) return std::nullopt;
  const auto fields = split(spec, ':');
  if (fields.size() > 2 || fields[0].empty()) return std::nullopt;
  if (fields.size() == 2 && fields[1].empty()) return std::nullopt;
  UserSpec parsed;
  parsed.user = fields[0];
  if (fields.size() == 2) parsed.group = fields[1];
  return parsed;
}

std::optional<PasswdEntry> parse_passwd_line(std::string_view line) {
  if (is_skipped_line(line)) return std::nullopt;
  const auto fields = split(line, ':');
  if (fields.size() != 7 || fields[0].empty()) return std::nullopt;
  const auto uid = parse_id(fields[2]);
  const auto gid = parse_id(fields[3]);
  if (!uid || !gid) return std::nullopt;
  return PasswdEntry{std::string(fields[0]), *uid, *gid, std::string(fields[5])};
}

std::optional<GroupEntry> parse_group_line(std::string_view line) {
  if (is_skipped_line(line)) return std::nullopt;
  const auto fields = split(line, ':');
  if (fields.size() != 4 || fields[0].empty()) return std::nullopt;
  const auto gid = parse_id(fields[2]);
  if (!gid) return std::nullopt;
  GroupEntry entry{std::string(fields[0]), *gid, {}};
  if (!fields[3].empty())
    for (const std::string_view member : split(fields[3], ','))
      if (!member.empty()) entry.members.emplace_back(member);
  return entry;
}

std::optional<PasswdEntry> find_passwd_entry(std::string_view passwd_text,
                                             std::string_view name) {
  std::optional<PasswdEntry> found;
  for_each_line(passwd_text, [&](std::string_view line) {
    auto entry = parse_passwd_line(line);
    if (entry && entry->name == name) found = std::move(entry);
    return found.has_value();
  });
  return found;
}

std::optional<GroupEntry> find_group_entry(std::string_view group_text, std::string_view name) {
  std::optional<GroupEntry> found;
  for_each_line(group_text, [&](std::string_view line) {
    auto entry = parse_group_line(line);
    if (entry && entry->name == name) found = std::move(entry);
    return found.has_value();
  });
  return found;
}

std::vector<gid_t> supplementary_groups(std::string_view group_text, std::string_view user,
                                        gid_t primary) {
  std::vector<gid_t> groups{primary};
  for_each_line(group_text, [&](std::string_view line) {
    const auto entry = parse_group_line(line);
    if (entry &&
        std::find(entry->members.begin(), entry->members.end(), user) != entry->members.end() &&
        std::find(groups.begin(), groups.end(), entry->gid) == groups.end())
      groups.push_back(entry->gid);
    return false;
  });
  return groups;
}

std::string Identity::shown() const {
  std::string text = name.empty() ? std::string() : name + " ";
  return text + "(uid " + number(uid) + ", gid " + number(gid) + ")";
}

IdentityLookup resolve_identity(const UserSpec& spec, const AccountFiles& files,
                                const std::string& shown_knob) {
  const auto problem = [](SysError error, std::string hint) {
    return IdentityLookup{std::nullopt, IdentityProblem{std::move(error), std::move(hint)}};
  };
  if (spec.numeric()) {
    // No lookup: a UID:GID is for an account the image does not list (scratch images).
    Identity identity;
    identity.uid = *parse_id(spec.user);
    identity.gid = *parse_id(spec.group);
    identity.groups = {identity.gid};
    return {identity, std::nullopt};
  }
  const std::string numeric_hint = "write a numeric UID:GID to " + shown_knob;
  if (!files.passwd)
    return problem(files.passwd_error,
                   "; the user named in " + shown_knob + " cannot be looked up: add /etc/passwd "
                   "to the image, or " + numeric_hint);
  const auto account = find_passwd_entry(*files.passwd, spec.user);
  if (!account)
    return problem(SysError{ENOENT, "find user " + spec.user + " of " + shown_knob +
                                        " in /etc/passwd"},
                   "; add " + spec.user + " to the image's /etc/passwd, or " + numeric_hint +
                       "; run stays down until then");
  Identity identity;
  identity.uid = account->uid;
  identity.gid = account->gid;
  identity.name = account->name;
  identity.home = account->home;
  if (!spec.group.empty()) {
    if (const auto gid = parse_id(spec.group)) {
      identity.gid = *gid;
    } else {
      if (!files.group)
        return problem(files.group_error, "; add /etc/group to the image, or write NAME:GID to " +
                                              shown_knob + "; run stays down until then");
      const auto group = find_group_entry(*files.group, spec.group);
      if (!group)
        return problem(SysError{ENOENT, "find group " + spec.group + " of " + shown_knob +
                                            " in /etc/group"},
                       "; add it to the image's /etc/group, or write NAME:GID to " + shown_knob +
                           "; run stays down until then");
      identity.gid = group->gid;
    }
  }
  // initgroups(3): the memberships /etc/group lists. Without a readable /etc/group the
  // user gets its primary group alone (many scratch images have passwd and no group).
  identity.groups = files.group ? supplementary_groups(*files.group, identity.name, identity.gid)
                                : std::vector<gid_t>{identity.gid};
  return {identity, std::nullopt};
}

bool is_same_identity(const Identity& identity, uid_t uid, gid_t gid) {
  return identity.uid == uid && identity.gid == gid;
}

}  // namespace svtree
