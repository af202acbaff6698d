// SPDX-License-Identifier: MIT
// Templates and instances (issue 16): worker@ is not a service, worker@1 -> worker@ is one
// of its own, with its own supervise/ in svscan's state directory, its name as $1 and in
// SVTREE_INSTANCE, its own log; two names for one plain directory are one warning.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

/// svctl as `docker exec` runs it: no SVDIR, the tree found through its state directory.
CommandResult svctl_without_svdir(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "-u", "SVDIR",
                                   binary_from_env("SVTREE_SVCTL")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

bool has_row(const std::string& table, const std::string& name) {
  return table.find("\n" + name + " ") != std::string::npos;
}

TEST(Instances, EachInstanceIsAServiceOfItsOwn) {
  ScanTree tree;
  // run says what it got, then stays up; its logger writes where its instance says.
  tree.add_service("worker@",
                   "echo \"instance $1 env $SVTREE_INSTANCE\"\necho $$ > " + tree.out() +
                       "/pid.$1\nexec sleep 1000\n",
                   "exec cat > " + tree.out() + "/log.$SVTREE_INSTANCE\n");
  // svctl's check of an instance knows which one it checks.
  write_script(tree.scan() + "/worker@/check",
               "[ -n \"$SVTREE_INSTANCE\" ] && echo \"$SVTREE_INSTANCE\" > " + tree.out() +
                   "/checked.$SVTREE_INSTANCE\n");
  ASSERT_EQ(::symlink("worker@", (tree.scan() + "/worker@1").c_str()), 0);
  ASSERT_EQ(::symlink("worker@", (tree.scan() + "/worker@blue").c_str()), 0);
  tree.start();
  ASSERT_TRUE(wait_until([&] {
    return read_file(tree.out("log.1")).find("instance 1 env 1\n") != std::string::npos &&
           read_file(tree.out("log.blue")).find("instance blue env blue\n") != std::string::npos;
  })) << tree.log();
  // The template itself is never supervised, and its directory stays as it was.
  EXPECT_EQ(tree.supervise_pid("worker@"), 0);
  EXPECT_FALSE(file_exists(tree.scan() + "/worker@/supervise"));
  EXPECT_FALSE(file_exists(tree.scan() + "/worker@/log/supervise"));

  CommandResult status = svctl_without_svdir({"status"});
  EXPECT_TRUE(has_row(status.out, "worker@1")) << status.out;
  EXPECT_TRUE(has_row(status.out, "worker@1/log")) << status.out;
  EXPECT_TRUE(has_row(status.out, "worker@blue")) << status.out;
  EXPECT_FALSE(has_row(status.out, "worker@")) << status.out;

  const CommandResult check = svctl_without_svdir({"-w", "15", "check", "worker@blue"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(read_file(tree.out("checked.blue")), "blue\n");

  // Stopped one by one: the other runs on.
  ASSERT_TRUE(wait_until([&] { return pid_from_file(tree.out("pid.1")) > 0; }));
  const pid_t first = pid_from_file(tree.out("pid.1"));
  const pid_t blue = pid_from_file(tree.out("pid.blue"));
  CommandResult down = svctl_without_svdir({"-w", "15", "down", "worker@1"});
  EXPECT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_TRUE(wait_until([&] { return !pid_alive(first); }));
  EXPECT_TRUE(pid_alive(blue));
  status = svctl_without_svdir({"status", "worker@1", "worker@blue"});
  EXPECT_NE(status.out.find("down: worker@1:"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("run: worker@blue:"), std::string::npos) << status.out;
  // sv's path form names the same instance, not its template (which has no supervise/).
  const std::string path = tree.scan() + "/worker@1";
  status = svctl_without_svdir({"status", path, path + "/log"});
  EXPECT_NE(status.out.find("down: " + path + ":"), std::string::npos) << status.out << status.err;
  EXPECT_NE(status.out.find("run: " + path + "/log:"), std::string::npos) << status.out;
  CommandResult up = svctl_without_svdir({"-w", "15", "up", "worker@1"});
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_TRUE(wait_until([&] {
    const pid_t now = pid_from_file(tree.out("pid.1"));
    return now != first && pid_alive(now);
  }));

  // An instance removed (its link deleted) stops; the other is untouched.
  ASSERT_EQ(::unlink((tree.scan() + "/worker@blue").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(blue); })) << tree.log();
  EXPECT_TRUE(pid_alive(pid_from_file(tree.out("pid.1"))));
  // svscan's lines reach its stderr through its writer child, after the fact: waited for.
  EXPECT_TRUE(wait_until([&] { return tree.log().find("worker@blue removed") != std::string::npos; }))
      << tree.log();
}

TEST(Instances, InstancesWithSeparateStderrAreInstancesToo) {
  // supervise gets the stderr pipe through another spawn path: the instance's name too.
  ScanTree tree;
  tree.add_service(
      "worker@",
      "echo \"$1 $SVTREE_INSTANCE\" > " + tree.out() + "/started.$1\nexec sleep 1000\n",
      "exec cat > /dev/null\n", false);
  write_file(tree.staging() + "/worker@/stderr", "separate\n");
  tree.move_in_service("worker@");
  ASSERT_EQ(::symlink("worker@", (tree.scan() + "/worker@1").c_str()), 0);
  ASSERT_EQ(::symlink("worker@", (tree.scan() + "/worker@2").c_str()), 0);
  tree.start();
  EXPECT_TRUE(wait_until([&] {
    return read_file(tree.out("started.1")) == "1 1\n" &&
           read_file(tree.out("started.2")) == "2 2\n";
  })) << tree.log();
  EXPECT_FALSE(file_exists(tree.scan() + "/worker@/supervise"));
}

// Issue 15: with `stderr separate`, each instance's stderr has a log directory of its own
// (beside its supervise/ in the state directory): the template's log/err would be one
// directory for all of them, whose lock only one svlog can hold.
TEST(Instances, EachInstanceKeepsItsStderrApartAndSvctlLogFindsBoth) {
  ScanTree tree;
  // Its logger's directory is named after the instance, as svtree-servicedir(5) advises.
  tree.add_service("worker@",
                   "echo \"stdout of $1\"\necho \"stderr of $1\" >&2\nexec sleep 1000\n",
                   "exec " + binary_from_env("SVTREE_SVLOG") + " -tt ./main-$SVTREE_INSTANCE\n",
                   false);
  write_file(tree.staging() + "/worker@/stderr", "separate\n");
  tree.move_in_service("worker@");
  ASSERT_EQ(::symlink("worker@", (tree.scan() + "/worker@1").c_str()), 0);
  ASSERT_EQ(::symlink("worker@", (tree.scan() + "/worker@2").c_str()), 0);
  tree.start();
  const auto logged = [&](const std::string& name) {
    return svctl_without_svdir({"log", name, "--stderr", "-n", "5"}).out;
  };
  EXPECT_TRUE(wait_until([&] {
    return logged("worker@1").find(" stderr of 1\n") != std::string::npos &&
           logged("worker@2").find(" stderr of 2\n") != std::string::npos;
  })) << logged("worker@1") << logged("worker@2") << tree.log();
  EXPECT_EQ(logged("worker@1").find("stderr of 2"), std::string::npos);
  EXPECT_EQ(logged("worker@2").find("stderr of 1"), std::string::npos);
  // Its stdout: the directory its running logger holds, found through the logger's
  // supervise/ in the state directory (the template's log/ has none).
  CommandResult out;
  EXPECT_TRUE(wait_until([&] {
    out = svctl_without_svdir({"log", "worker@2", "-n", "5"});
    return out.exit_code == 0 && out.out.find(" stdout of 2\n") != std::string::npos;
  })) << out.out << out.err;
  // The template's directory is left as it was, and svscan names the directory it uses.
  EXPECT_FALSE(file_exists(tree.scan() + "/worker@/log/err")) << tree.log();
  EXPECT_NE(tree.log().find("logging worker@1's stderr to /"), std::string::npos) << tree.log();
  EXPECT_NE(tree.log().find("/services/worker@1/log/err (svlog pid "), std::string::npos)
      << tree.log();
}

TEST(Instances, TwoNamesForOneDirectoryAreOneWarning) {
  ScanTree tree;
  tree.add_service("web", counting_run(tree, "web"));
  ASSERT_EQ(::symlink("web", (tree.scan() + "/web-1").c_str()), 0);
  tree.start();
  ASSERT_TRUE(wait_until([&] {
    return tree.count_in_log("is the same directory as") == 1 && starts(tree, "web") == 1;
  })) << tree.log();
  const std::string log = tree.log();
  const size_t line = log.find("is the same directory as");
  const std::string text = log.substr(log.rfind('\n', line) + 1,
                                      log.find('\n', line) - log.rfind('\n', line) - 1);
  EXPECT_NE(text.find("web-1"), std::string::npos) << text;
  EXPECT_NE(text.find("web "), std::string::npos) << text;
  // Rescans do not repeat it: a service added later has started once the rescan is done.
  tree.signal_svscan(SIGHUP);
  tree.add_service("later", counting_run(tree, "later"));
  ASSERT_TRUE(wait_until([&] { return starts(tree, "later") == 1; })) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("is the same directory as"), 1u) << tree.log();
  EXPECT_EQ(starts(tree, "web"), 1u);
  // Under the first name in sorted order, whatever readdir's order; svctl lists it once,
  // under that name.
  EXPECT_NE(text.find("web-1 is the same directory as web:"), std::string::npos) << text;
  EXPECT_GT(tree.wait_supervise_pid("web"), 0) << tree.log();
  EXPECT_EQ(tree.supervise_pid("web-1"), 0);
  const CommandResult status = svctl_without_svdir({"status"});
  EXPECT_TRUE(has_row(status.out, "web")) << status.out;
  EXPECT_FALSE(has_row(status.out, "web-1")) << status.out;
  EXPECT_TRUE(has_row(status.out, "later")) << status.out;
}

}  // namespace
}  // namespace svtree::svscan::testing
