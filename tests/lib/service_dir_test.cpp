// SPDX-License-Identifier: MIT
// Knob files: defaults, values, and a warning that names the file for bad input.
#include "svtree/service_dir.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "support/test_support.hpp"

namespace svtree {
namespace {

using testing::TempDir;
using testing::write_file;
using testing::write_script;

TEST(ServiceKnobs, DefaultsReproduceRunit) {
  TempDir dir;
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_FALSE(knobs.down);
  EXPECT_EQ(knobs.down_signal, SIGTERM);
  EXPECT_EQ(knobs.restart_delay_ms, 1000u);
  EXPECT_EQ(knobs.restart_delay_max_ms, 30000u) << "backoff on by default (issue 13)";
  EXPECT_EQ(knobs.min_uptime_ms, 1000u);
  EXPECT_FALSE(knobs.max_restarts.has_value());
  EXPECT_EQ(effective_restart(knobs), RestartPolicy::kAlways);
  EXPECT_EQ(knobs.success_codes, std::vector<int>{0});
  EXPECT_EQ(knobs.timeout_finish_ms, 5000u);
  EXPECT_EQ(knobs.timeout_kill_ms, 0u);
  EXPECT_FALSE(knobs.notification_fd.has_value());
}

// Issue #18: one listing per read of the knobs, and a knob made, changed or removed between
// two reads counts at the second (supervise reads them at every start).
TEST(ServiceKnobs, EveryReadListsDirAgainSoAChangeCountsAtTheNext) {
  TempDir dir;
  const ServicePaths paths(dir.path());
  std::vector<std::string> warnings;
  EXPECT_EQ(load_service_knobs(paths, warnings).timeout_kill_ms, 0u);
  write_file(dir / "timeout-kill", "2500\n");
  write_file(dir / "down", "");
  ServiceKnobs knobs = load_service_knobs(paths, warnings);
  EXPECT_EQ(knobs.timeout_kill_ms, 2500u);
  EXPECT_TRUE(knobs.down);
  write_file(dir / "timeout-kill", "700\n");
  std::filesystem::remove(dir / "down");
  knobs = load_service_knobs(paths, warnings);
  EXPECT_EQ(knobs.timeout_kill_ms, 700u);
  EXPECT_FALSE(knobs.down);
  EXPECT_TRUE(warnings.empty());
}

TEST(ServicePaths, AListingTellsWhichNamesMayExist) {
  TempDir dir;
  write_file(dir / "down-signal", "INT\n");
  const ServicePaths plain(dir.path());
  EXPECT_TRUE(plain.may_exist("timeout-kill")) << "no listing: every name may exist";
  const ServicePaths listed = plain.with_entries();
  EXPECT_TRUE(listed.may_exist("down-signal"));
  EXPECT_FALSE(listed.may_exist("timeout-kill"));
  EXPECT_TRUE(listed.may_exist("control/t")) << "below DIR: not in the listing";
  // A listing is a snapshot: a file made after it shows in the next one.
  write_file(dir / "timeout-kill", "1\n");
  EXPECT_FALSE(listed.may_exist("timeout-kill"));
  EXPECT_TRUE(plain.with_entries().may_exist("timeout-kill"));
  // An unreadable DIR gives no listing, never "nothing exists".
  EXPECT_TRUE(ServicePaths(dir / "missing").with_entries().may_exist("down"));
}

TEST(ServiceKnobs, ReadsEveryFile) {
  TempDir dir;
  write_file(dir / "down", "");
  write_file(dir / "essential", "");
  write_file(dir / "down-signal", "SIGINT\n");
  write_file(dir / "notification-fd", "3\n");
  write_file(dir / "timeout-kill", "2500\n");
  write_file(dir / "timeout-finish", "0");
  write_file(dir / "restart-delay", "200");
  write_file(dir / "restart-delay-max", "60000");
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(knobs.down);
  EXPECT_TRUE(knobs.essential);
  EXPECT_EQ(knobs.down_signal, SIGINT);
  EXPECT_EQ(knobs.notification_fd, 3);
  EXPECT_EQ(knobs.timeout_kill_ms, 2500u);
  EXPECT_EQ(knobs.timeout_finish_ms, 0u);
  EXPECT_EQ(knobs.restart_delay_ms, 200u);
  EXPECT_EQ(knobs.restart_delay_max_ms, 60000u);
}

TEST(ServiceKnobs, BadValuesWarnNamingTheFileAndKeepDefaults) {
  TempDir dir;
  write_file(dir / "down-signal", "TERMINATE");
  write_file(dir / "timeout-kill", "3s");
  write_file(dir / "notification-fd", "1");
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find(dir / "down-signal"), std::string::npos);
  EXPECT_NE(warnings[2].find(dir / "timeout-kill"), std::string::npos);
  EXPECT_EQ(knobs.down_signal, SIGTERM);
  EXPECT_EQ(knobs.timeout_kill_ms, 0u);
  EXPECT_FALSE(knobs.notification_fd.has_value());
}

TEST(ServiceKnobs, ReadsTheRestartPolicy) {
  TempDir dir;
  write_file(dir / "min-uptime", "5000\n");
  write_file(dir / "max-restarts", "3\n");
  write_file(dir / "restart", "on-failure\n");
  write_file(dir / "success-codes", "0 2\t143\n");
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(knobs.min_uptime_ms, 5000u);
  EXPECT_EQ(knobs.max_restarts, 3u);
  EXPECT_EQ(effective_restart(knobs), RestartPolicy::kOnFailure);
  EXPECT_EQ(knobs.success_codes, (std::vector<int>{0, 2, 143}));
}

TEST(ServiceKnobs, BadRestartPolicyFilesWarnWhatToWriteAndKeepDefaults) {
  TempDir dir;
  write_file(dir / "min-uptime", "1s");
  write_file(dir / "max-restarts", "-1");
  write_file(dir / "restart", "unexpected");
  write_file(dir / "success-codes", "0 256");
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_NE(warnings[0].find(dir / "min-uptime"), std::string::npos);
  EXPECT_NE(warnings[0].find("echo 3000 > "), std::string::npos);
  EXPECT_NE(warnings[1].find(dir / "max-restarts"), std::string::npos);
  EXPECT_NE(warnings[1].find("echo 3 > "), std::string::npos);
  EXPECT_NE(warnings[2].find(dir / "restart"), std::string::npos);
  EXPECT_NE(warnings[2].find("always, on-failure or never"), std::string::npos);
  EXPECT_NE(warnings[3].find(dir / "success-codes"), std::string::npos);
  EXPECT_NE(warnings[3].find("echo 0 2 > "), std::string::npos);
  EXPECT_EQ(knobs.min_uptime_ms, 1000u);
  EXPECT_FALSE(knobs.max_restarts.has_value());
  EXPECT_EQ(effective_restart(knobs), RestartPolicy::kAlways);
  EXPECT_EQ(knobs.success_codes, std::vector<int>{0});
}

TEST(ServiceKnobs, RestartPolicyDecisions) {
  ServiceKnobs knobs;
  knobs.success_codes = {0, 2};
  EXPECT_TRUE(restarts_after(knobs, 0)) << "always: even after success";
  knobs.restart = RestartPolicy::kOnFailure;
  EXPECT_FALSE(restarts_after(knobs, 0));
  EXPECT_FALSE(restarts_after(knobs, 2 << 8));
  EXPECT_TRUE(restarts_after(knobs, 1 << 8));
  EXPECT_TRUE(restarts_after(knobs, SIGTERM)) << "a signal is never a success";
  knobs.restart = RestartPolicy::kNever;
  EXPECT_FALSE(restarts_after(knobs, 1 << 8));
  EXPECT_EQ(parse_restart_policy(" never\n"), RestartPolicy::kNever);
  EXPECT_FALSE(parse_restart_policy("").has_value());
  EXPECT_FALSE(parse_success_codes(" \n").has_value());
}

TEST(ServiceKnobs, ParseMilliseconds) {
  EXPECT_EQ(parse_milliseconds(" 42\n"), 42u);
  EXPECT_FALSE(parse_milliseconds("").has_value());
  EXPECT_FALSE(parse_milliseconds("-1").has_value());
  EXPECT_FALSE(parse_milliseconds("99999999999").has_value());
}

TEST(ServiceKnobs, TypeIsLongrunOrOneshot) {
  TempDir dir;
  std::vector<std::string> warnings;
  EXPECT_FALSE(load_service_knobs(ServicePaths(dir.path()), warnings).oneshot);
  write_file(dir / "type", " oneshot \n");
  EXPECT_TRUE(load_service_knobs(ServicePaths(dir.path()), warnings).oneshot);
  write_file(dir / "type", "longrun\n");
  EXPECT_FALSE(load_service_knobs(ServicePaths(dir.path()), warnings).oneshot);
  EXPECT_TRUE(warnings.empty());
  write_file(dir / "type", "one-shot\n");
  EXPECT_FALSE(load_service_knobs(ServicePaths(dir.path(), "/srv/init"), warnings).oneshot);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("/srv/init/type"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("echo oneshot >"), std::string::npos) << warnings[0];
}

TEST(ServiceKnobs, StderrIsInheritedLogOrSeparate) {
  using Mode = ServiceKnobs::StderrMode;
  TempDir dir;
  std::vector<std::string> warnings;
  EXPECT_EQ(load_service_knobs(ServicePaths(dir.path()), warnings).stderr_mode, Mode::kInherit);
  write_file(dir / "stderr", "separate\n");
  EXPECT_EQ(load_service_knobs(ServicePaths(dir.path()), warnings).stderr_mode, Mode::kSeparate);
  write_file(dir / "stderr", " log ");
  EXPECT_EQ(load_service_knobs(ServicePaths(dir.path()), warnings).stderr_mode, Mode::kLog);
  EXPECT_EQ(load_stderr_mode(ServicePaths(dir.path()), warnings), Mode::kLog);
  EXPECT_TRUE(warnings.empty());
  EXPECT_FALSE(parse_stderr_mode("separated").has_value());
  EXPECT_FALSE(parse_stderr_mode("").has_value());
}

TEST(ServiceKnobs, BadStderrWarnsOnceNamingTheFileAndKeepsItInherited) {
  TempDir dir;
  std::vector<std::string> warnings;
  write_file(dir / "stderr", "stdout\n");
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path(), "/srv/web"), warnings);
  EXPECT_EQ(knobs.stderr_mode, ServiceKnobs::StderrMode::kInherit);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("/srv/web/stderr"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("echo separate >"), std::string::npos) << warnings[0];
}

TEST(ServiceKnobs, DependenciesAreDependsEntriesSortedWithoutHiddenOnes) {
  TempDir dir;
  std::vector<std::string> warnings;
  EXPECT_TRUE(load_dependencies(ServicePaths(dir.path()), warnings).empty());
  testing::make_dirs(dir / "depends");
  write_file(dir / "depends/web", "");
  write_file(dir / "depends/db", "");
  write_file(dir / "depends/.db.swp", "");
  testing::make_dirs(dir / "depends/cache");
  EXPECT_EQ(load_dependencies(ServicePaths(dir.path()), warnings),
            (std::vector<std::string>{"cache", "db", "web"}));
  EXPECT_TRUE(warnings.empty());
}

TEST(ServiceKnobs, NoCheckByDefault) {
  TempDir dir;
  write_script(dir / "check", "exit 0");  // runit's sv check alone: supervise runs nothing
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(knobs.check, ServiceKnobs::CheckKind::kNone);
  EXPECT_EQ(knobs.check_timeout_ms, 2000u);
  EXPECT_EQ(knobs.check_retries, 3u);
}

TEST(ServiceKnobs, ScriptCheckWithInterval) {
  TempDir dir;
  write_script(dir / "check", "exit 0");
  write_file(dir / "check-interval", "5000\n");
  write_file(dir / "check-timeout", "700\n");
  write_file(dir / "check-retries", "5\n");
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(knobs.check, ServiceKnobs::CheckKind::kScript);
  EXPECT_EQ(knobs.check_interval_ms, 5000u);
  EXPECT_EQ(knobs.check_timeout_ms, 700u);
  EXPECT_EQ(knobs.check_retries, 5u);
}

TEST(ServiceKnobs, BuiltInChecksNeedNoInterval) {
  TempDir dir;
  write_file(dir / "check-tcp", "127.0.0.1:8080\n");
  std::vector<std::string> warnings;
  ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(knobs.check, ServiceKnobs::CheckKind::kTcp);
  EXPECT_EQ(knobs.check_interval_ms, 1000u);
  ASSERT_TRUE(knobs.check_tcp);
  // check-http wins over check-tcp (it tests more), and over ./check.
  write_file(dir / "check-http", "http://localhost:8080/health\n");
  write_script(dir / "check", "exit 0");
  knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(knobs.check, ServiceKnobs::CheckKind::kHttp);
  ASSERT_TRUE(knobs.check_http);
  EXPECT_EQ(knobs.check_http->path, "/health");
}

TEST(ServiceKnobs, BadCheckKnobsWarnNamingTheFileAndWhatToWrite) {
  TempDir dir;
  write_file(dir / "check-tcp", "web:8080");
  write_file(dir / "check-http", "https://127.0.0.1/");
  write_file(dir / "check-interval", "1000");  // no ./check and no valid built-in check
  write_file(dir / "check-timeout", "0");
  write_file(dir / "check-retries", "0");
  std::vector<std::string> warnings;
  const ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path()), warnings);
  ASSERT_EQ(warnings.size(), 5u);
  const char* files[] = {"check-tcp", "check-http", "check-interval", "check-timeout",
                         "check-retries"};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NE(warnings[i].find(dir / files[i]), std::string::npos) << warnings[i];
    EXPECT_NE(warnings[i].find("echo "), std::string::npos) << warnings[i];
  }
  EXPECT_EQ(knobs.check, ServiceKnobs::CheckKind::kNone);
  EXPECT_EQ(knobs.check_timeout_ms, 2000u);
  EXPECT_EQ(knobs.check_retries, 3u);
}

// Issue 16: `user` is kept whatever it says (supervise resolves or refuses it); `limits`
// keeps its good lines.
TEST(ServiceKnobs, UserAndLimits) {
  TempDir dir;
  std::vector<std::string> warnings;
  EXPECT_FALSE(load_service_knobs(ServicePaths(dir.path()), warnings).user);
  write_file(dir / "user", "nobody:nogroup\n");
  write_file(dir / "limits", "nofile 64 128\nnofile x\ncore 0\n");
  ServiceKnobs knobs = load_service_knobs(ServicePaths(dir.path(), "svc"), warnings);
  ASSERT_TRUE(knobs.user);
  EXPECT_EQ(knobs.user->text, "nobody:nogroup\n");
  EXPECT_FALSE(knobs.user->read_error);
  ASSERT_EQ(knobs.limits.size(), 2u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("ignoring line 2 of svc/limits: ", 0), 0u) << warnings[0];
  // Unreadable is not absent: run must not start as supervise's own user instead.
  ASSERT_EQ(::unlink((dir / "user").c_str()), 0);
  testing::make_dirs(dir / "user");
  warnings.clear();
  knobs = load_service_knobs(ServicePaths(dir.path(), "svc"), warnings);
  ASSERT_TRUE(knobs.user);
  ASSERT_TRUE(knobs.user->read_error);
  EXPECT_EQ(knobs.user->read_error->context, "read svc/user");
}

}  // namespace
}  // namespace svtree
