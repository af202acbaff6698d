// SPDX-License-Identifier: MIT
// The `user` knob's grammar and passwd(5)/group(5) text, on fixture text (issue 16).
#include "svtree/accounts.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace svtree {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment\n"
    "\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "broken:x:notanumber:1::/:/bin/sh\n"
    "short:x:5:5\n"
    "+nisuser::::::\n"
    "web:x:1000:1000:Web Server,,,:/srv/web:/bin/sh\r\n"
    "web:x:2000:2000:second entry, never used:/:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";  // no final newline

constexpr const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "web:x:1000:\n"
    "ssl-cert:x:103:postgres,web\n"
    "audio:x:29:web\n"
    "webmasters:x:1000:\n"     // the same gid as web's own: listed once
    "again:x:1001:web,web\n"
    "notweb:x:1002:webby,website\n"
    "bad:x:x:web\n"
    "nogroup:x:65534:\n";

AccountFiles files() {
  AccountFiles out;
  out.passwd = kPasswd;
  out.group = kGroup;
  return out;
}

TEST(UserSpec, ParsesTheThreeForms) {
  auto name = parse_user_spec("web\n");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->user, "web");
  EXPECT_EQ(name->group, "");
  EXPECT_FALSE(name->numeric());
  auto named_group = parse_user_spec("  web:audio \n");
  ASSERT_TRUE(named_group);
  EXPECT_EQ(named_group->user, "web");
  EXPECT_EQ(named_group->group, "audio");
  EXPECT_FALSE(named_group->numeric());
  auto numeric = parse_user_spec("65534:65534");
  ASSERT_TRUE(numeric);
  EXPECT_TRUE(numeric->numeric());
  // A name with a numeric group is still a lookup of the name.
  EXPECT_FALSE(parse_user_spec("web:29")->numeric());
}

TEST(UserSpec, RefusesWhatIsNoneOfThem) {
  for (const char* bad : {"", " \n", "a:b:c", ":1", "1:", "web:", "a b", "web\nroot",
                          "web\tx"})
    EXPECT_FALSE(parse_user_spec(bad)) << bad;
}

TEST(Passwd, ParsesLinesAndSkipsWhatIsNoAccount) {
  const auto web = parse_passwd_line("web:x:1000:1000:Web Server,,,:/srv/web:/bin/sh");
  ASSERT_TRUE(web);
  EXPECT_EQ(web->name, "web");
  EXPECT_EQ(web->uid, 1000u);
  EXPECT_EQ(web->gid, 1000u);
  EXPECT_EQ(web->home, "/srv/web");
  for (const char* skipped : {"", "# root:x:0:0::/:/bin/sh", "+::::::", "-web::::::",
                              "short:x:5:5", "x:x:1:1:a:b:c:d", ":x:1:1::/:/bin/sh",
                              "big:x:4294967295:1::/:/bin/sh", "neg:x:-1:1::/:/bin/sh"})
    EXPECT_FALSE(parse_passwd_line(skipped)) << skipped;
}

TEST(Passwd, FindsTheFirstEntryOfAName) {
  EXPECT_EQ(find_passwd_entry(kPasswd, "web")->uid, 1000u);  // the first of two, as getpwnam
  EXPECT_EQ(find_passwd_entry(kPasswd, "web")->home, "/srv/web");  // CRLF line
  EXPECT_EQ(find_passwd_entry(kPasswd, "nobody")->uid, 65534u);    // last line, no newline
  EXPECT_FALSE(find_passwd_entry(kPasswd, "broken"));
  EXPECT_FALSE(find_passwd_entry(kPasswd, "nisuser"));
  EXPECT_FALSE(find_passwd_entry(kPasswd, "we"));
  EXPECT_FALSE(find_passwd_entry("", "root"));
}

TEST(Group, ParsesMembers) {
  const auto group = parse_group_line("ssl-cert:x:103:postgres,web");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->gid, 103u);
  EXPECT_EQ(group->members, (std::vector<std::string>{"postgres", "web"}));
  EXPECT_TRUE(parse_group_line("root:x:0:")->members.empty());
  EXPECT_FALSE(parse_group_line("root:x:0"));
  EXPECT_FALSE(parse_group_line("bad:x:x:web"));
  EXPECT_EQ(find_group_entry(kGroup, "audio")->gid, 29u);
  EXPECT_FALSE(find_group_entry(kGroup, "bad"));
}

TEST(Group, SupplementaryGroupsAsInitgroups) {
  // Primary first, each gid once, exact member names only.
  EXPECT_EQ(supplementary_groups(kGroup, "web", 1000),
            (std::vector<gid_t>{1000, 103, 29, 1001}));
  EXPECT_EQ(supplementary_groups(kGroup, "daemon", 1), (std::vector<gid_t>{1}));
  EXPECT_EQ(supplementary_groups(kGroup, "postgres", 104), (std::vector<gid_t>{104, 103}));
}

TEST(ResolveIdentity, NameGivesItsGroupsAndHome) {
  const auto lookup = resolve_identity(*parse_user_spec("web"), files(), "svc/user");
  ASSERT_TRUE(lookup.identity);
  EXPECT_FALSE(lookup.problem);
  EXPECT_EQ(lookup.identity->uid, 1000u);
  EXPECT_EQ(lookup.identity->gid, 1000u);
  EXPECT_EQ(lookup.identity->groups, (std::vector<gid_t>{1000, 103, 29, 1001}));
  EXPECT_EQ(lookup.identity->home, "/srv/web");
  EXPECT_EQ(lookup.identity->shown(), "web (uid 1000, gid 1000)");
}

TEST(ResolveIdentity, NamedOrNumericGroupReplacesThePrimary) {
  const auto named = resolve_identity(*parse_user_spec("web:nogroup"), files(), "svc/user");
  ASSERT_TRUE(named.identity);
  EXPECT_EQ(named.identity->gid, 65534u);
  EXPECT_EQ(named.identity->groups, (std::vector<gid_t>{65534, 103, 29, 1001}));
  const auto numeric = resolve_identity(*parse_user_spec("web:4242"), files(), "svc/user");
  ASSERT_TRUE(numeric.identity);
  EXPECT_EQ(numeric.identity->gid, 4242u);
  EXPECT_EQ(numeric.identity->groups.front(), 4242u);
}

TEST(ResolveIdentity, NumericNeedsNoFile) {
  AccountFiles none;
  none.passwd_error = SysError{ENOENT, "read /etc/passwd"};
  none.group_error = SysError{ENOENT, "read /etc/group"};
  const auto lookup = resolve_identity(*parse_user_spec("4242:4343"), none, "svc/user");
  ASSERT_TRUE(lookup.identity);
  EXPECT_EQ(lookup.identity->uid, 4242u);
  EXPECT_EQ(lookup.identity->gid, 4343u);
  EXPECT_EQ(lookup.identity->groups, (std::vector<gid_t>{4343}));  // root's never leak
  EXPECT_TRUE(lookup.identity->name.empty());
  EXPECT_EQ(lookup.identity->shown(), "(uid 4242, gid 4343)");
}

TEST(ResolveIdentity, ProblemsNameTheFileAndWhatToDo) {
  const auto user = resolve_identity(*parse_user_spec("bob"), files(), "svc/user");
  ASSERT_TRUE(user.problem);
  EXPECT_FALSE(user.identity);
  EXPECT_EQ(user.problem->error.message(),
            "unable to find user bob of svc/user in /etc/passwd: No such file or directory");
  EXPECT_NE(user.problem->hint.find("add bob to the image's /etc/passwd, or write a numeric "
                                    "UID:GID to svc/user"),
            std::string::npos)
      << user.problem->hint;
  const auto group = resolve_identity(*parse_user_spec("web:staff"), files(), "svc/user");
  ASSERT_TRUE(group.problem);
  EXPECT_EQ(group.problem->error.message(),
            "unable to find group staff of svc/user in /etc/group: No such file or directory");

  AccountFiles no_passwd;
  no_passwd.passwd_error = SysError{ENOENT, "read /etc/passwd"};
  const auto missing = resolve_identity(*parse_user_spec("web"), no_passwd, "svc/user");
  ASSERT_TRUE(missing.problem);
  EXPECT_EQ(missing.problem->error.message(),
            "unable to read /etc/passwd: No such file or directory");
  EXPECT_NE(missing.problem->hint.find("UID:GID"), std::string::npos);
}

TEST(ResolveIdentity, WithoutGroupFileTheUserKeepsItsPrimaryGroup) {
  AccountFiles passwd_only;
  passwd_only.passwd = kPasswd;
  passwd_only.group_error = SysError{ENOENT, "read /etc/group"};
  const auto lookup = resolve_identity(*parse_user_spec("web"), passwd_only, "svc/user");
  ASSERT_TRUE(lookup.identity);
  EXPECT_EQ(lookup.identity->groups, (std::vector<gid_t>{1000}));
  // A group by name needs the file.
  EXPECT_TRUE(resolve_identity(*parse_user_spec("web:audio"), passwd_only, "svc/user").problem);
}

TEST(ResolveIdentity, SameIdentity) {
  Identity identity;
  identity.uid = 65534;
  identity.gid = 65534;
  EXPECT_TRUE(is_same_identity(identity, 65534, 65534));
  EXPECT_FALSE(is_same_identity(identity, 65534, 0));
  EXPECT_FALSE(is_same_identity(identity, 0, 65534));
}

}  // namespace
}  // namespace svtree
