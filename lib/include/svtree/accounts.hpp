// SPDX-License-Identifier: MIT
// Accounts (issue 16): the `user` knob's grammar, and /etc/passwd and /etc/group read as
// text. Pure: static builds have no NSS, so names are looked up in the files' text; the
// reading of the files is svtree/privileges.hpp's.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svtree/result.hpp"

namespace svtree {

/// What a `user` file says: `NAME`, `NAME:GROUP` (GROUP a name or a number) or `UID:GID`
/// (both numbers: no lookup at all, for users the image's /etc/passwd does not list).
struct UserSpec {
  std::string user;   // a name, or the uid's digits when numeric
  std::string group;  // empty: the user's own group from /etc/passwd
  [[nodiscard]] bool numeric() const;
};

/// One line of text (blanks and a final newline around it allowed). nullopt: not one of
/// the three forms (empty, more than one colon, an empty side, blanks inside, or a second
/// line).
std::optional<UserSpec> parse_user_spec(std::string_view text);

/// The fields of an /etc/passwd line that supervise uses.
struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

/// The fields of an /etc/group line.
struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;  // the fourth field, split at commas
};

/// One line of passwd(5) (name:password:uid:gid:gecos:home:shell); nullopt for a comment,
/// a blank line, an NIS "+"/"-" line, or a line that is not seven fields with numeric ids.
std::optional<PasswdEntry> parse_passwd_line(std::string_view line);
/// One line of group(5) (name:password:gid:members); nullopt as parse_passwd_line.
std::optional<GroupEntry> parse_group_line(std::string_view line);

/// The first entry named name in a whole passwd text (as getpwnam: the first one wins).
std::optional<PasswdEntry> find_passwd_entry(std::string_view passwd_text, std::string_view name);
/// The first group named name in a whole group text.
std::optional<GroupEntry> find_group_entry(std::string_view group_text, std::string_view name);
/// initgroups(3) on text: primary, then the gid of every group listing user as a member,
/// each once, in file order.
std::vector<gid_t> supplementary_groups(std::string_view group_text, std::string_view user,
                                        gid_t primary);

/// The identity run, finish and check get: setgroups(groups), setgid(gid), setuid(uid).
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // never empty: at least gid (root's groups never leak)
  std::string name;           // from /etc/passwd; empty for a numeric UID:GID
  std::string home;           // likewise
  /// "nobody (uid 65534, gid 65534)", for messages.
  [[nodiscard]] std::string shown() const;
};

/// Why a `user` file cannot be honoured, and what to do: the warning is
/// error.message() + hint, and run is not started.
struct IdentityProblem {
  SysError error;
  std::string hint;  // "; add bob to …", already starting with "; "
};

/// The text a resolution needs; nullopt for a file that could not be read (read_error says
/// why). Only consulted for names: a numeric UID:GID needs neither file.
struct AccountFiles {
  std::optional<std::string> passwd;
  std::optional<std::string> group;
  SysError passwd_error;  // when passwd is nullopt
  SysError group_error;   // when group is nullopt
};

/// Resolves spec against the files' text. shown_knob names the `user` file in messages
/// ("web/user"). Pure.
struct IdentityLookup {
  std::optional<Identity> identity;
  std::optional<IdentityProblem> problem;  // exactly one of the two is set
};
IdentityLookup resolve_identity(const UserSpec& spec, const AccountFiles& files,
                                const std::string& shown_knob);

/// Whether a process without CAP_SETUID and CAP_SETGID, running as uid/gid, may "become"
/// identity: only when it is itself (then nothing is changed, its groups included).
[[nodiscard]] bool is_same_identity(const Identity& identity, uid_t uid, gid_t gid);

}  // namespace svtree
