// SPDX-License-Identifier: MIT
// Tree fixture: a real svscan over a temp scan dir, and /proc look-ups for its parts.
#include "support/tree_fixture.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <cstdlib>
#include <sstream>
#include <string_view>

namespace svtree::testing {

pid_t find_process(const std::vector<std::string>& argv, const std::string& cwd) {
  std::string wanted;
  for (const std::string& arg : argv) {
    wanted += arg;
    wanted += '\0';
  }
  struct stat want_cwd {};
  if (::stat(cwd.c_str(), &want_cwd) != 0) return 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return 0;
  pid_t found = 0;
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    const std::string base = "/proc/" + std::string(entry->d_name);
    if (read_file(base + "/cmdline") != wanted) continue;
    struct stat their_cwd {};
    if (::stat((base + "/cwd").c_str(), &their_cwd) != 0) continue;
    if (their_cwd.st_dev != want_cwd.st_dev || their_cwd.st_ino != want_cwd.st_ino) continue;
    found = pid;
    break;
  }
  ::closedir(proc);
  return found;
}

std::vector<pid_t> zombies_below(pid_t root) {
  struct Entry {
    pid_t ppid;
    char state;
  };
  std::map<pid_t, Entry> table;
  if (DIR* proc = ::opendir("/proc")) {
    while (const dirent* entry = ::readdir(proc)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (pid <= 0) continue;
      const std::string stat = read_file("/proc/" + std::string(entry->d_name) + "/stat");
      const size_t paren = stat.rfind(')');
      if (paren == std::string::npos || paren + 4 >= stat.size()) continue;
      table[pid] = {static_cast<pid_t>(std::atoi(stat.c_str() + paren + 4)), stat[paren + 2]};
    }
    ::closedir(proc);
  }
  std::vector<pid_t> zombies;
  for (const auto& [pid, info] : table) {
    if (info.state != 'Z') continue;
    pid_t at = info.ppid;
    for (int hops = 0; hops < 64 && at > 1; ++hops) {
      if (at == root) {
        zombies.push_back(pid);
        break;
      }
      const auto up = table.find(at);
      if (up == table.end()) break;
      at = up->second.ppid;
    }
  }
  return zombies;
}

long voluntary_switches(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  static constexpr std::string_view kKey = "\nvoluntary_ctxt_switches:";
  const size_t at = status.find(kKey);
  return at == std::string::npos ? -1 : std::atol(status.c_str() + at + kKey.size());
}

long cpu_ticks(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  long ticks = 0;
  // Fields 14 and 15 of proc(5): utime and stime; the stream starts at field 3.
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i == 14 || i == 15) ticks += std::atol(field.c_str());
  return ticks;
}

pid_t pid_from_file(const std::string& path) {
  return static_cast<pid_t>(std::atoi(read_file(path).c_str()));
}

pid_t run_pid(const std::string& service_dir) {
  if (read_file(service_dir + "/supervise/stat") != "run\n") return 0;
  return pid_from_file(service_dir + "/supervise/pid");
}

std::vector<std::string> logdir_lines(const std::string& logdir) {
  std::vector<std::string> files;
  if (DIR* dir = ::opendir(logdir.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name.size() > 2 && name[0] == '@' &&
          (name.ends_with(".s") || name.ends_with(".u")))
        files.push_back(name);
    }
    ::closedir(dir);
  }
  std::sort(files.begin(), files.end());
  files.push_back("current");
  std::vector<std::string> lines;
  for (const std::string& name : files) {
    std::istringstream text(read_file(logdir + "/" + name));
    for (std::string line; std::getline(text, line);)
      if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool stop_supervised(Process& supervise, const std::string& control_fifo) {
  if (!supervise.running()) return true;
  write_into(control_fifo, "x");
  return supervise.wait(30s).has_value();
}

Tree::Tree() { make_dirs(root_ / "service"); }

void Tree::start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{binary_from_env("SVTREE_SVSCAN")};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.push_back(scan_dir());
  svscan_ = std::make_unique<Process>(argv);
}

std::optional<int> Tree::stop() {
  svscan_->signal(SIGTERM);
  return svscan_->wait_exit_code(30s);
}

}  // namespace svtree::testing
