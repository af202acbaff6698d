// SPDX-License-Identifier: MIT
// Harness implementation.
#include "svlog_harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "svtree/io.hpp"
#include "svtree/pipe.hpp"

namespace svtree::svlog::testing {

std::string svlog_binary() { return binary_from_env("SVTREE_SVLOG"); }

RunningSvlog::RunningSvlog(const std::vector<std::string>& args, std::string cwd) {
  std::vector<std::string> argv{svlog_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  start(argv, std::move(cwd));
}

RunningSvlog::RunningSvlog(Program, const std::vector<std::string>& argv) { start(argv, ""); }

void RunningSvlog::start(const std::vector<std::string>& argv, std::string cwd) {
  auto pipe = make_pipe();
  if (!pipe) std::abort();
  Process::Options options;
  options.stdin_fd = pipe->read_end.get();
  options.cwd = std::move(cwd);
  process_ = std::make_unique<Process>(argv, options);
  input_ = std::move(pipe->write_end);
}

void RunningSvlog::write(std::string_view data) {
  // A logger that refused to start (lock held) closes the pipe: EPIPE is an answer here.
  static const bool sigpipe_ignored = (::signal(SIGPIPE, SIG_IGN), true);
  (void)sigpipe_ignored;
  (void)write_all(input_.get(), data);
}

bool RunningSvlog::wait_drained(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int unread = 0;
    if (::ioctl(input_.get(), FIONREAD, &unread) != 0) return false;
    if (unread == 0) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    ::sched_yield();  // a tight wait: the test drives thousands of single reads
  }
}

CommandResult run_svlog(const std::vector<std::string>& args, std::string_view input) {
  RunningSvlog svlog(args);
  svlog.write(input);
  svlog.close_input();
  CommandResult result;
  result.exit_code = svlog.wait_exit(30s).value_or(-1);
  result.out = svlog.process().stdout_text();
  result.err = svlog.process().stderr_text();
  return result;
}

std::vector<std::string> old_files(const std::string& dir) {
  std::vector<std::string> names;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return names;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name(entry->d_name);
    if (name.size() == 27 && name[0] == '@' && name[25] == '.') names.push_back(name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

std::string all_logs(const std::string& dir) {
  std::string text;
  for (const std::string& name : old_files(dir)) text += read_file(dir + "/" + name);
  text += read_file(dir + "/current");
  return text;
}

int file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    lines.emplace_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

}  // namespace svtree::svlog::testing
