// SPDX-License-Identifier: MIT
// svscan and issue 14: start order through depends/, the shutdown in reverse dependency
// order (loggers last) proven by the services' own timestamps, -W waiting for oneshots.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

/// "NS NAME EVENT" lines appended by the services: NAME EVENT -> nanoseconds.
std::map<std::string, long long> events_in(const std::string& text) {
  std::map<std::string, long long> events;
  std::istringstream lines(text);
  long long ns = 0;
  std::string name;
  std::string event;
  while (lines >> ns >> name >> event) events[name + " " + event] = ns;
  return events;
}

/// A longrun that stamps its start, then says it is ready (notification-fd 3: without it a
/// service is ready when forked, before its first line), and on TERM stamps its stop.
std::string stamping_run(const ScanTree& tree, const std::string& name) {
  const std::string order = tree.out("order");
  return "trap 'echo \"$(date +%s%N) " + name + " stop\" >> " + order +
         "; exit 0' TERM\necho \"$(date +%s%N) " + name + " start\" >> " + order +
         "\necho >&3\nexec 3>&-\nsleep 1000 & wait\n";
}

void depend(const ScanTree& tree, const std::string& name,
            const std::vector<std::string>& on) {
  make_dirs(tree.staging() + "/" + name + "/depends");
  for (const auto& dependency : on)
    write_file(tree.staging() + "/" + name + "/depends/" + dependency, "");
}

TEST(SvscanDependencies, StartsInDependencyOrderAndStopsInReverseLoggersLast) {
  ScanTree tree;
  const std::string order = tree.out("order");
  // init: a oneshot that takes a moment; its ./stop stamps too.
  tree.add_service("init", "sleep 0.3\necho \"$(date +%s%N) init done\" >> " + order + "\n",
                   "", false);
  write_file(tree.staging() + "/init/type", "oneshot\n");
  write_script(tree.staging() + "/init/stop",
               "echo \"$(date +%s%N) init stop\" >> " + order + "\n");
  // db has a logger, which drains and stamps when its input ends.
  tree.add_service("db", stamping_run(tree, "db"),
                   "cat > /dev/null\necho \"$(date +%s%N) db-log stop\" >> " + order + "\n", false);
  tree.add_service("app", stamping_run(tree, "app"), "", false);
  depend(tree, "app", {"db", "init"});
  tree.add_service("web", stamping_run(tree, "web"), "", false);
  depend(tree, "web", {"app"});
  for (const char* name : {"db", "app", "web"})
    write_file(tree.staging() + "/" + name + "/notification-fd", "3\n");
  for (const char* name : {"web", "app", "db", "init"}) tree.move_in_service(name);
  tree.start({"-g", "60000"});
  ASSERT_TRUE(wait_until([&] { return events_in(read_file(order)).count("web start") == 1; }))
      << read_file(order) << tree.log();
  tree.svscan().signal(SIGTERM);
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tree.log();
  const auto at = events_in(read_file(order));
  for (const char* event : {"init done", "db start", "app start", "web start", "web stop",
                            "app stop", "db stop", "init stop", "db-log stop"})
    ASSERT_EQ(at.count(event), 1u) << event << " missing:\n" << read_file(order);
  // Start: each after what it depends on was ready or done.
  EXPECT_LT(at.at("init done"), at.at("app start"));
  EXPECT_LT(at.at("db start"), at.at("app start"));
  EXPECT_LT(at.at("app start"), at.at("web start"));
  // Shutdown: dependents first, the oneshot's stop after its dependents, loggers last.
  EXPECT_LT(at.at("web stop"), at.at("app stop"));
  EXPECT_LT(at.at("app stop"), at.at("db stop"));
  EXPECT_LT(at.at("app stop"), at.at("init stop"));
  EXPECT_LT(at.at("db stop"), at.at("db-log stop"));
  EXPECT_EQ(tree.count_in_log("grace time of"), 0u) << tree.log();
}

TEST(SvscanDependencies, WaitOptionHoldsTheMainCommandUntilOneshotsAreDone) {
  ScanTree tree;
  const std::string config = tree.out("config");
  tree.add_service("init", "sleep 0.3\necho rendered > " + config + ".tmp\nmv " + config +
                               ".tmp " + config + "\n",
                   "", false);
  write_file(tree.staging() + "/init/type", "oneshot\n");
  tree.move_in_service("init");
  tree.start({"-W", "30000"}, {"--", "/bin/cat", config});
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tree.log();
  EXPECT_NE(tree.svscan().stdout_text().find("rendered"), std::string::npos) << tree.log();
}

bool pid_namespaces_work(std::string& why) {
  if (!file_exists("/usr/bin/unshare")) {
    why = "/usr/bin/unshare is not installed";
    return false;
  }
  const auto result = run_command({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "true"});
  if (result.exit_code != 0)
    why = "unshare --pid --fork --mount-proc is not permitted here: " + result.err;
  return result.exit_code == 0;
}

long long stamp_in(const std::string& path) {
  const std::string text = read_file(path);
  return text.empty() ? 0 : std::atoll(text.c_str());
}

// 200 services, each depending on up to three earlier ones picked at random (a fixed seed:
// a failure can be replayed), started in one scan by svscan as PID 1: every service starts
// after each of its dependencies said it was ready, and at shutdown stops before them.
TEST(SvscanDependencies, TwoHundredServicesWithRandomDependenciesAsPid1) {
  std::string why;
  if (!pid_namespaces_work(why)) GTEST_SKIP() << why;
  constexpr int kCount = 200;
  ScanTree tree;
  make_dirs(tree.out("start"));
  make_dirs(tree.out("stop"));
  std::mt19937 random(14);
  std::vector<std::set<int>> depends(kCount);
  for (int i = 0; i < kCount; ++i) {
    const std::string name = "s" + std::to_string(i);
    const std::string dir = tree.staging() + "/" + name;
    make_dirs(dir);
    write_script(dir + "/run", "trap 'date +%s%N > " + tree.out("stop/" + name) +
                                   "; exit 0' TERM\ndate +%s%N > " + tree.out("start/" + name) +
                                   "\necho >&3\nexec 3>&-\nsleep 1000 & wait\n");
    write_file(dir + "/notification-fd", "3\n");
    const int wanted = i == 0 ? 0 : static_cast<int>(random() % 4);
    std::set<int>& mine = depends[static_cast<size_t>(i)];
    for (int k = 0; k < wanted; ++k)
      mine.insert(static_cast<int>(random() % static_cast<unsigned>(i)));
    if (!mine.empty()) make_dirs(dir + "/depends");
    for (const int d : mine) write_file(dir + "/depends/s" + std::to_string(d), "");
  }
  // One rename each, in reverse, so that most dependents exist before what they wait for.
  for (int i = kCount - 1; i >= 0; --i) tree.move_in_service("s" + std::to_string(i));
  tree.start({"-g", "120000"}, {}, true);
  const auto started = [&] {
    int n = 0;
    for (int i = 0; i < kCount; ++i) n += stamp_in(tree.out("start/s" + std::to_string(i))) > 0;
    return n;
  };
  ASSERT_TRUE(wait_until([&] { return started() == kCount; }, std::chrono::seconds(120)))
      << started() << " of " << kCount << " started\n" << tree.log();
  tree.signal_svscan(SIGTERM);
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(180));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tree.log();
  EXPECT_EQ(tree.count_in_log("grace time of"), 0u) << tree.log();
  int edges = 0;
  for (int i = 0; i < kCount; ++i) {
    const std::string me = "s" + std::to_string(i);
    for (const int d : depends[static_cast<size_t>(i)]) {
      const std::string dep = "s" + std::to_string(d);
      ++edges;
      EXPECT_LT(stamp_in(tree.out("start/" + dep)), stamp_in(tree.out("start/" + me)))
          << me << " started before its dependency " << dep;
      EXPECT_LT(stamp_in(tree.out("stop/" + me)), stamp_in(tree.out("stop/" + dep)))
          << dep << " stopped before its dependent " << me;
    }
  }
  EXPECT_GT(edges, kCount);  // the graph is not trivial
}

}  // namespace
}  // namespace svtree::svscan::testing
