// SPDX-License-Identifier: MIT
// Reaper: /proc descendant walk and the "any child left?" probe, on real processes.
#include "svscan/reaper.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "support/test_support.hpp"

namespace svtree::svscan {
namespace {

using svtree::testing::Process;
using svtree::testing::TempDir;
using svtree::testing::wait_until;

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

TEST(Reaper, DescendantsIncludeGrandchildrenAndSpareSubtrees) {
  TempDir dir;
  // The child writes its background grandchild's pid, then waits on it.
  Process parent({"/bin/sh", "-c", "sleep 300 & echo $! > " + (dir / "grandchild") + "; wait"});
  pid_t grandchild = 0;
  ASSERT_TRUE(wait_until([&] {
    grandchild = static_cast<pid_t>(std::atoi(svtree::testing::read_file(dir / "grandchild").c_str()));
    return grandchild > 0;
  }));
  const auto all = list_descendants(::getpid(), {});
  EXPECT_TRUE(contains(all, parent.pid()));
  EXPECT_TRUE(contains(all, grandchild));
  EXPECT_FALSE(contains(all, ::getpid()));
  const pid_t spared[] = {parent.pid()};
  const auto some = list_descendants(::getpid(), spared);
  EXPECT_FALSE(contains(some, parent.pid()));
  EXPECT_FALSE(contains(some, grandchild));
  ::kill(grandchild, SIGKILL);
}

TEST(Reaper, ProcIsOursOutsideANewNamespace) { EXPECT_TRUE(proc_is_ours()); }

TEST(Reaper, HaveChildrenSeesRunningAndExitedChildren) {
  // gtest may have children of its own only through our Process objects.
  EXPECT_FALSE(have_children());
  {
    Process child({"/bin/sh", "-c", "exit 0"});
    EXPECT_TRUE(have_children());
    ASSERT_TRUE(wait_until([&] {
      siginfo_t info{};
      return ::waitid(P_PID, static_cast<id_t>(child.pid()), &info,
                      WEXITED | WNOHANG | WNOWAIT) == 0 &&
             info.si_pid == child.pid();
    }));
    EXPECT_TRUE(have_children());  // a zombie still counts until reaped
  }
  EXPECT_FALSE(have_children());
}

}  // namespace
}  // namespace svtree::svscan
