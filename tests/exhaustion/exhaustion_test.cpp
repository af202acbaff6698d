// SPDX-License-Identifier: MIT
// Resource exhaustion (issue 7): fork refused by a pids cgroup, descriptors exhausted by a
// low RLIMIT_NOFILE, a full disk under supervise/. Each time: a clear warning, retries on
// timers (no busy loop: the CPU the supervisor burns while starved stays small), no crash,
// and full recovery once the resource returns.

// GCC 12 at -O3 (the release build) reports a bogus -Wrestrict inside libstdc++'s inlined
// `"literal" + std::string` (GCC bug 105329); this file only. Before any include, so that
// it covers the inlined library code the warning points into.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "support/tree_fixture.hpp"

namespace svtree::testing {
namespace {

long ticks_per_second() { return ::sysconf(_SC_CLK_TCK); }

/// The number after "max " in a pids cgroup's pids.events: forks refused so far.
long refused_forks(const std::string& cgroup) {
  const std::string events = read_file(cgroup + "/pids.events");
  const size_t at = events.find("max ");
  return at == std::string::npos ? -1 : std::atol(events.c_str() + at + 4);
}

TEST(Exhaustion, ForkRefusedWarnsRetriesCalmlyAndRecovers) {
  const std::string supervise = binary_from_env("SVTREE_SUPERVISE");
  if (supervise.empty()) GTEST_SKIP() << "SVTREE_SUPERVISE is not set";
  // RLIMIT_NPROC does not bind root: a pids cgroup (v1 here; v2 has the same files).
  std::string base = "/sys/fs/cgroup/pids";
  if (!file_exists(base + "/cgroup.procs")) base = "/sys/fs/cgroup/unified";
  const std::string cgroup = base + "/svtree-test-" + std::to_string(::getpid());
  if (::mkdir(cgroup.c_str(), 0755) != 0 || !file_exists(cgroup + "/pids.max"))
    GTEST_SKIP() << "cannot create a pids cgroup under " << base;
  struct CgroupGuard {
    std::string path;
    ~CgroupGuard() { ::rmdir(path.c_str()); }
  } guard{cgroup};

  TempDir dir;
  write_script(dir / "run", "exec sleep 1000\n");
  ASSERT_TRUE(write_into(cgroup + "/pids.max", "1\n"));
  // The shell joins the cgroup and becomes supervise: one process, no room for a child.
  Process supervisor({"/bin/sh", "-c", "echo $$ > " + cgroup + "/cgroup.procs && exec " +
                                           supervise + " " + dir.path()});
  ASSERT_TRUE(wait_until([&] { return refused_forks(cgroup) >= 1; }, 30s))
      << "supervise did not try to fork\n" << supervisor.stderr_text();
  // Calm, counted from the first refusal (not since exec: an ASan build's start alone
  // took 0.28 s of CPU on a loaded CI machine): the next attempts come from a timer, at
  // most one a second, and cost next to nothing.
  const long first_refusals = refused_forks(cgroup);
  const long ticks_at_first = cpu_ticks(supervisor.pid());
  const auto first_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return refused_forks(cgroup) >= first_refusals + 2; }, 30s))
      << "supervise did not retry the refused fork\n" << supervisor.stderr_text();
  const long retries = refused_forks(cgroup) - first_refusals;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - first_at).count();
  EXPECT_LE(retries, seconds + 2) << "more than one fork attempt a second: a loop, not a timer";
  EXPECT_LT(cpu_ticks(supervisor.pid()) - ticks_at_first, ticks_per_second() / 5);
  EXPECT_TRUE(supervisor.running());
  EXPECT_NE(supervisor.stderr_text().find("warning: unable to fork for ./run"), std::string::npos)
      << supervisor.stderr_text();
  EXPECT_NE(read_file(dir / "supervise/stat"), "run\n");

  ASSERT_TRUE(write_into(cgroup + "/pids.max", "max\n"));
  EXPECT_TRUE(wait_until([&] { return read_file(dir / "supervise/stat") == "run\n"; }, 30s))
      << "supervise did not recover once forks were allowed again\n" << supervisor.stderr_text();
  // Leave the cgroup empty so it can be removed.
  supervisor.signal(SIGTERM);
  EXPECT_EQ(supervisor.wait_exit_code(), 0);
  wait_until([&] { return read_file(cgroup + "/cgroup.procs").empty(); }, 10s);
}

TEST(Exhaustion, DescriptorsExhaustedInSvscanWarnsAndRecovers) {
  for (const char* variable : {"SVTREE_SVSCAN", "SVTREE_SUPERVISE"})
    if (binary_from_env(variable).empty()) GTEST_SKIP() << variable << " is not set";
  if (!have_program("prlimit")) GTEST_SKIP() << "prlimit(1) from util-linux is not installed";
  constexpr int kPairs = 20;
  Tree tree;
  for (int i = 0; i < kPairs; ++i) {
    const std::string service = tree.service_dir("s" + std::to_string(i));
    make_dirs(service + "/log");
    write_script(service + "/run", "exec sleep 1000\n");
    write_script(service + "/log/run", "exec cat >/dev/null\n");
  }
  // 20 pairs need 40 pipe ends held by svscan: 24 descriptors cannot hold them. svscan
  // raises its soft limit to the hard one by itself, so both are set low; without
  // CAP_SYS_RESOURCE they cannot be raised again, so the resource "returns" by removing
  // services, which gives their pipe ends back.
  Process svscan({"prlimit", "--nofile=24:24", binary_from_env("SVTREE_SVSCAN"), tree.scan_dir()});
  ASSERT_TRUE(wait_until([&] {
    return svscan.stderr_text().find("Too many open files") != std::string::npos;
  }, 30s)) << svscan.stderr_text();
  EXPECT_TRUE(svscan.running()) << svscan.stderr_text();
  auto logger_runs = [&](int i) {
    return read_file(tree.service_dir("s" + std::to_string(i)) + "/log/supervise/stat") ==
           "run\n";
  };
  std::vector<int> starved;
  for (int i = 0; i < kPairs; ++i)
    if (!logger_runs(i)) starved.push_back(i);
  ASSERT_GE(starved.size(), 2u) << "24 descriptors held every pair?";
  // What starvation costs, counted from the warning over two of svscan's wakeups, not
  // since exec (an ASan build's start is most of a loaded CI machine's bound).
  const long ticks_at_warning = cpu_ticks(svscan.pid());
  const long switches_at_warning = voluntary_switches(svscan.pid());
  EXPECT_TRUE(wait_until([&] {
    return voluntary_switches(svscan.pid()) >= switches_at_warning + 2;
  }, 60s)) << "svscan did not sleep while starved";
  const long starved_ticks = cpu_ticks(svscan.pid()) - ticks_at_warning;

  // Keep two starved services; move everything else out of the scan dir (a rename: rm -rf
  // would race with the supervisors still writing their status).
  make_dirs(tree.root() / "removed");
  for (int i = 0; i < kPairs; ++i) {
    if (i == starved[0] || i == starved[1]) continue;
    const std::string name = "s" + std::to_string(i);
    ASSERT_EQ(::rename(tree.service_dir(name).c_str(), (tree.root() / ("removed/" + name)).c_str()), 0);
  }
  EXPECT_TRUE(wait_until([&] { return logger_runs(starved[0]) && logger_runs(starved[1]); }, 60s))
      << "svscan did not pair the starved loggers once descriptors were back\n"
      << svscan.stderr_text();
  EXPECT_LT(starved_ticks, ticks_per_second()) << "svscan busy-looped while starved";
  svscan.signal(SIGTERM);
  EXPECT_EQ(svscan.wait_exit_code(30s), 0) << svscan.stderr_text();
}

TEST(Exhaustion, DiskFullUnderSuperviseWarnsAndCatchesUp) {
  const std::string supervise = binary_from_env("SVTREE_SUPERVISE");
  if (supervise.empty()) GTEST_SKIP() << "SVTREE_SUPERVISE is not set";
  if (run_command({"unshare", "--mount", "true"}).exit_code != 0 || !have_program("nsenter"))
    GTEST_SKIP() << "unshare --mount or nsenter is not permitted here";
  TempDir dir;
  const std::string service = dir / "svc";
  const std::string state = dir / "state";
  make_dirs(service);
  make_dirs(state);
  write_script(service + "/run", "exec sleep 1000\n");
  ASSERT_EQ(::symlink(state.c_str(), (service + "/supervise").c_str()), 0);
  // supervise/ lives on a 64 KiB tmpfs that only supervise's mount namespace sees (mode
  // 0700: supervise refuses a supervise/ that others can write, and a tmpfs is 1777).
  Process supervisor({"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                      "mount -t tmpfs -o size=64k,mode=0700 svtree-full " + state + " && exec " + supervise +
                          " " + service});
  auto inside = [&](const std::string& command) {
    return run_command({"nsenter", "-t", std::to_string(supervisor.pid()), "-m", "/bin/sh", "-c",
                        command});
  };
  ASSERT_TRUE(wait_until([&] { return inside("cat " + state + "/stat").out == "run\n"; }))
      << supervisor.stderr_text();

  // Fill the disk, then change the state: the status cannot be written.
  inside("cat /dev/zero > " + state + "/fill 2>/dev/null");
  ASSERT_EQ(inside("printf d > " + state + "/control").exit_code, 0);
  ASSERT_TRUE(wait_until([&] {
    return supervisor.stderr_text().find("No space left on device") != std::string::npos;
  })) << supervisor.stderr_text();
  EXPECT_TRUE(supervisor.running());
  // What being starved costs is counted from the warning to the catch-up below, not since
  // exec: an ASan build's start alone took 0.28 s of CPU on a loaded CI machine.
  const long ticks_at_warning = cpu_ticks(supervisor.pid());

  // Space returns: the binary record (what sv and svctl read) catches up by itself, with
  // no further event: state byte 19 = 0 (down), pid 0.
  inside("rm " + state + "/fill");
  auto status_says_down = [&] {
    const std::string status = inside("cat " + state + "/status").out;
    return status.size() >= 20 && status[19] == 0 && status.substr(12, 4) == std::string(4, '\0');
  };
  EXPECT_TRUE(wait_until(status_says_down, 30s))
      << "supervise did not rewrite its status once space returned\n" << supervisor.stderr_text();
  EXPECT_EQ(inside("cat " + state + "/stat").out, "down\n");
  EXPECT_LT(cpu_ticks(supervisor.pid()) - ticks_at_warning, ticks_per_second() / 5);
  // And it is fully usable again.
  ASSERT_EQ(inside("printf u > " + state + "/control").exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return inside("cat " + state + "/stat").out == "run\n"; }));
  // Stop it for good: the service runs in its own session.
  ASSERT_EQ(inside("printf x > " + state + "/control").exit_code, 0);
  EXPECT_TRUE(supervisor.wait(30s).has_value());
}

}  // namespace
}  // namespace svtree::testing
