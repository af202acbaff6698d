// SPDX-License-Identifier: MIT
// The `stderr separate` knob (issue 15): run's stderr in NAME/log/err/ through a pipe
// svscan holds, stamped and rotated by an svlog svscan restarts, losing no line when the
// service restarts or any logger or supervise is SIGKILLed.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

/// Every line of every file (current and rotated) of a log directory, stamps cut off.
std::vector<std::string> logged_lines(const std::string& dir) {
  std::vector<std::string> lines;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return lines;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name != "current" && name[0] != '@') continue;
    std::istringstream text(read_file(dir + "/" + name));
    std::string line;
    while (std::getline(text, line)) {
      const size_t space = line.find(' ');  // -tt: "YYYY-MM-DD_HH:MM:SS.xxxxx line"
      lines.push_back(space == std::string::npos ? line : line.substr(space + 1));
    }
  }
  ::closedir(listing);
  return lines;
}

/// writer pid -> how many lines it says it wrote on each stream (written.PID's last line).
std::map<pid_t, int> written_counts(const std::string& out) {
  std::map<pid_t, int> counts;
  DIR* listing = ::opendir(out.c_str());
  if (listing == nullptr) return counts;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name.rfind("written.", 0) != 0) continue;
    const std::string text = read_file(out + "/" + name);
    const size_t end = text.find_last_not_of('\n');
    if (end == std::string::npos) continue;
    const size_t begin = text.rfind('\n', end);
    counts[std::atoi(name.c_str() + 8)] =
        std::atoi(text.c_str() + (begin == std::string::npos ? 0 : begin + 1));
  }
  ::closedir(listing);
  return counts;
}

int total_written(const std::string& out) {
  int total = 0;
  for (const auto& [pid, count] : written_counts(out)) total += count;
  return total;
}

pid_t stderr_logger_pid(const ScanTree& tree, const std::string& name) {
  const std::string text = tree.log();
  const std::string needle = "logging " + name + "'s stderr to " + name + "/log/err (svlog pid ";
  const size_t at = text.rfind(needle);
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::atoi(text.c_str() + at + needle.size()));
}

/// Each writer's lines on one stream: "TAG PID I" for I = 1..n, each exactly once, where n
/// is what it recorded, or one more (a line written, then the writer killed before it
/// could record it). Lines of the other stream must not be there at all.
void expect_each_line_once(const std::vector<std::string>& lines, const std::string& tag,
                           const std::string& other_tag, const std::map<pid_t, int>& written) {
  std::map<pid_t, std::map<int, int>> seen;
  for (const std::string& line : lines) {
    ASSERT_NE(line.rfind(other_tag + " ", 0), 0u) << "wrong directory: " << line;
    if (line.rfind(tag + " ", 0) != 0) continue;
    std::istringstream fields(line.substr(tag.size() + 1));
    pid_t pid = 0;
    int i = 0;
    fields >> pid >> i;
    ++seen[pid][i];
  }
  for (const auto& [pid, count] : written) {
    const auto& mine = seen[pid];
    for (int i = 1; i <= count; ++i) {
      const auto found = mine.find(i);
      ASSERT_TRUE(found != mine.end()) << tag << ": lost line " << pid << " " << i;
      ASSERT_EQ(found->second, 1) << tag << ": line " << pid << " " << i << " duplicated";
    }
    ASSERT_LE(mine.size(), static_cast<size_t>(count) + 1) << tag << " " << pid;
    if (mine.size() == static_cast<size_t>(count) + 1) {
      ASSERT_EQ(mine.count(count + 1), 1u);
    }
  }
}

char process_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

/// svlog waits in its event loop: everything it read is written (DESIGN.md §4), and its
/// pipe is empty (level-triggered epoll does not block on a readable pipe).
bool logger_idle(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  if (read_file(base + "/wchan").find("epoll") != std::string::npos) return true;
  const std::string call = read_file(base + "/syscall");
  return call.rfind("232 ", 0) == 0 || call.rfind("281 ", 0) == 0;  // x86-64 epoll_(p)wait
}

/// SIGKILLs a logger with nothing in flight, then lets the writer go on at once, while no
/// logger reads: DESIGN.md §4 allows a SIGKILLed svlog to lose what it read and had not
/// written yet; what this checks is that the pipe keeps every line written meanwhile.
void kill_idle_logger(pid_t logger, pid_t writer) {
  ASSERT_EQ(::kill(writer, SIGSTOP), 0);
  ASSERT_TRUE(wait_until([&] { return process_state(writer) == 'T'; }));
  ASSERT_TRUE(wait_until([&] { return logger_idle(logger); })) << "logger " << logger;
  ASSERT_EQ(::kill(logger, SIGKILL), 0);
  ASSERT_EQ(::kill(writer, SIGCONT), 0);
}

TEST(SvscanStderr, SeparateStreamLosesNoLineAcrossRestartsAndSigkills) {
  ScanTree tree;
  const std::string out = tree.out();
  const std::string stop = tree.out("stop");
  // Both streams written as fast as sh can, one record per pair; once told to stop, the
  // run says so and idles (the test then counts what it said it wrote).
  tree.add_service(
      "a",
      "i=0\n"
      "while [ ! -e " + stop + " ]; do i=$((i+1)); echo \"out $$ $i\"; echo \"err $$ $i\" >&2; "
      "echo $i >> " + out + "/written.$$; done\n"
      "echo $$ > " + out + "/stopped\nexec sleep 3600\n",
      "exec " + binary_from_env("SVTREE_SVLOG") + " -tt ./main\n", false);
  const std::string staged = tree.staging() + "/a";
  write_file(staged + "/stderr", "separate\n");
  write_file(staged + "/restart-delay", "0\n");
  write_script(staged + "/finish", "echo \"$1 $2\" >> " + out + "/finish\n");
  // Small files, none removed: rotation happens often, and every line stays countable.
  make_dirs(staged + "/log/main");
  make_dirs(staged + "/log/err");
  write_file(staged + "/log/main/config", "s20000\nn0\n");
  write_file(staged + "/log/err/config", "s20000\nn0\n");
  tree.move_in_service("a");
  tree.start();

  const std::string a = tree.scan() + "/a";
  auto more_lines = [&](int beyond) {
    return wait_until([&] { return total_written(out) >= beyond + 300; }, 60s);
  };
  ASSERT_TRUE(more_lines(0)) << tree.log();
  // svscan's line naming the logger can lag the lines the logger already wrote.
  pid_t first_stderr_logger = 0;
  ASSERT_TRUE(wait_until([&] { return (first_stderr_logger = stderr_logger_pid(tree, "a")) > 0; }))
      << tree.log();

  // 1. Restart the service (svctl t): its new run writes into the same pipes.
  ASSERT_TRUE(write_into(a + "/supervise/control", "t"));
  ASSERT_TRUE(wait_until([&] { return written_counts(out).size() >= 2; })) << tree.log();
  ASSERT_TRUE(more_lines(total_written(out))) << tree.log();

  // 2. SIGKILL the stdout logger: its supervise starts a new one on the same pipe.
  const pid_t logger = pid_from_file(a + "/log/supervise/pid");
  const pid_t run = pid_from_file(a + "/supervise/pid");
  ASSERT_GT(logger, 0);
  ASSERT_GT(run, 0);
  kill_idle_logger(logger, run);
  ASSERT_TRUE(wait_until([&] {
    const pid_t now = pid_from_file(a + "/log/supervise/pid");
    return now > 0 && now != logger;
  })) << tree.log();
  ASSERT_TRUE(more_lines(total_written(out))) << tree.log();

  // 3. SIGKILL the stderr logger: svscan starts a new one, which finds the lock free.
  kill_idle_logger(first_stderr_logger, run);
  ASSERT_TRUE(wait_until([&] {
    const pid_t now = stderr_logger_pid(tree, "a");
    return now > 0 && now != first_stderr_logger;
  })) << tree.log();
  ASSERT_TRUE(more_lines(total_written(out))) << tree.log();

  // 4. SIGKILL both supervise processes: their successors adopt run and logger.
  const pid_t service_supervise = tree.wait_supervise_pid("a");
  const pid_t log_supervise = tree.wait_supervise_pid("a/log");
  ASSERT_GT(service_supervise, 0) << tree.log();  // 0 would kill(0, ...) our own group
  ASSERT_GT(log_supervise, 0) << tree.log();
  ASSERT_EQ(::kill(service_supervise, SIGKILL), 0);
  ASSERT_EQ(::kill(log_supervise, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] {
    return tree.supervise_pid("a") != service_supervise &&
           tree.supervise_pid("a/log") != log_supervise;
  })) << tree.log();
  ASSERT_TRUE(more_lines(total_written(out))) << tree.log();

  // Stop writing; wait until both directories hold each writer's last recorded line.
  write_file(stop, "");
  ASSERT_TRUE(wait_until([&] { return file_exists(tree.out("stopped")); })) << tree.log();
  const std::map<pid_t, int> written = written_counts(out);
  auto has_last = [&](const std::string& dir, const std::string& tag) {
    const std::vector<std::string> lines = logged_lines(dir);
    for (const auto& [pid, count] : written) {
      const std::string last = tag + " " + std::to_string(pid) + " " + std::to_string(count);
      if (std::find(lines.begin(), lines.end(), last) == lines.end()) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_until([&] { return has_last(a + "/log/main", "out"); }, 60s)) << tree.log();
  ASSERT_TRUE(wait_until([&] { return has_last(a + "/log/err", "err"); }, 60s)) << tree.log();
  expect_each_line_once(logged_lines(a + "/log/main"), "out", "err", written);
  expect_each_line_once(logged_lines(a + "/log/err"), "err", "out", written);
  // Rotation happened on the stderr side (s20000): the count crossed files.
  EXPECT_TRUE(wait_until([&] {
    DIR* d = ::opendir((a + "/log/err").c_str());
    bool rotated = false;
    while (const dirent* e = d != nullptr ? ::readdir(d) : nullptr)
      if (e->d_name[0] == '@') rotated = true;
    if (d != nullptr) ::closedir(d);
    return rotated;
  }));
  // The only death of a run was the asked restart (TERM): never SIGPIPE.
  const std::string finishes = read_file(tree.out("finish"));
  EXPECT_EQ(finishes.find(" 13\n"), std::string::npos) << finishes;
  EXPECT_NE(finishes.find("-1 15\n"), std::string::npos) << finishes;
  // log/err is no knob of the logger's service directory (a log/stderr would be read as
  // log/'s own `stderr` file): nothing complained.
  EXPECT_EQ(tree.log().find("ignoring"), std::string::npos) << tree.log();
}

// A bad value: supervise says so once, naming the file, and the service runs with stderr
// inherited (no stderr logger, nothing in log/err).
TEST(SvscanStderr, BadValueWarnsNamingTheFileAndRunsWithTheDefault) {
  ScanTree tree;
  tree.add_service("b", "echo up > " + tree.out("b.up") + "\nexec sleep 3600\n",
                   "exec " + binary_from_env("SVTREE_SVLOG") + " -tt ./main\n", false);
  write_file(tree.staging() + "/b/stderr", "seperate\n");
  tree.move_in_service("b");
  tree.start();
  ASSERT_TRUE(wait_until([&] { return file_exists(tree.out("b.up")); })) << tree.log();
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("b/stderr: want log or separate") == 1; }))
      << tree.log();
  EXPECT_EQ(stderr_logger_pid(tree, "b"), 0) << tree.log();
  EXPECT_FALSE(file_exists(tree.scan() + "/b/log/err"));
}

// `stderr log`: run's fd 2 joins fd 1 on the way to log/ (exec 2>&1 done by supervise).
TEST(SvscanStderr, LogJoinsStdout) {
  ScanTree tree;
  tree.add_service("c", "echo to-stderr >&2\nexec sleep 3600\n",
                   "exec " + binary_from_env("SVTREE_SVLOG") + " ./main\n", false);
  write_file(tree.staging() + "/c/stderr", "log\n");
  tree.move_in_service("c");
  tree.start();
  ASSERT_TRUE(wait_until([&] {
    return read_file(tree.scan() + "/c/log/main/current").find("to-stderr\n") != std::string::npos;
  })) << tree.log();
  EXPECT_EQ(tree.log().find("to-stderr"), std::string::npos);
}

}  // namespace
}  // namespace svtree::svscan::testing
