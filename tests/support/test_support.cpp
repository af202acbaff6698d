// SPDX-License-Identifier: MIT
// Test support implementation: real processes via lib's spawner.
#include "support/test_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "svtree/envdir.hpp"
#include "svtree/io.hpp"
#include "svtree/spawner.hpp"

namespace svtree::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/svtree-test.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

// Stalls of this test process seen by wait_until in the current test (the listener below
// reports them at a failure and clears them at each test's start).
struct StallRecord {
  int count = 0;
  std::chrono::milliseconds total{0};
  std::chrono::milliseconds longest{0};
};
StallRecord current_test_stalls;

}  // namespace

bool StallAwareDeadline::note_sleep(std::chrono::milliseconds slept) {
  if (slept < kStallGap) return false;
  if (allowance_ + slept <= kMostStallAllowance) {
    allowance_ += slept;
    deadline_ += slept;
  }
  return true;
}

bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  StallAwareDeadline deadline(Clock::now(), timeout);
  for (;;) {
    if (predicate()) return true;
    if (deadline.passed(Clock::now())) return false;
    const auto before = Clock::now();
    std::this_thread::sleep_for(5ms);
    const auto slept = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - before);
    if (!deadline.note_sleep(slept)) continue;
    current_test_stalls.count += 1;
    current_test_stalls.total += slept;
    current_test_stalls.longest = std::max(current_test_stalls.longest, slept);
    std::fprintf(stderr,
                 "[ support  ] this test process was not run for %lld ms (a 5 ms sleep took "
                 "that long): the machine stalled; the wait's deadline moves as much\n",
                 static_cast<long long>(slept.count()));
  }
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  const std::string temp = path + ".tmp-write";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temp);
    out << content;
  }
  ::chmod(temp.c_str(), mode);
  // Rename so a watcher never sees a half-written run script (ETXTBSY, short reads).
  if (::rename(temp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename to " + path);
}

void write_script(const std::string& path, const std::string& body) {
  write_file(path, "#!/bin/sh\n" + body, 0755);
}

bool write_into(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::write(fd, content.data(), content.size());
  ::close(fd);
  return n == static_cast<ssize_t>(content.size());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t orphans_reaped(const std::string& log) {
  size_t count = 0;
  const std::string one = "reaped orphan pid ";
  for (size_t at = log.find(one); at != std::string::npos; at = log.find(one, at + 1)) ++count;
  const std::string many = "reaped ";
  for (size_t at = log.find(many); at != std::string::npos; at = log.find(many, at + 1)) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(log.c_str() + at + many.size(), &end, 10);
    if (end != log.c_str() + at + many.size() && std::string_view(end).starts_with(" more orphan"))
      count += n;
  }
  return count;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& path) { std::filesystem::create_directories(path); }

std::string binary_from_env(const char* variable) {
  const char* value = std::getenv(variable);
  return value != nullptr ? value : "";
}

Process::Process(const std::vector<std::string>& argv, Options options)
    : stdout_path_(capture_dir_ / "stdout"), stderr_path_(capture_dir_ / "stderr") {
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<std::string> env = current_environment();
  for (const std::string& extra : options.extra_env) env.push_back(extra);
  UniqueFd cwd;
  if (!options.cwd.empty()) {
    auto opened = open_file(options.cwd, O_PATH | O_DIRECTORY);
    if (!opened) throw std::runtime_error(opened.error().message());
    cwd = std::move(*opened);
  }
  SpawnSpec spec;
  spec.path = find_program(argv.at(0));
  spec.argv = argv;
  spec.env = &env;
  spec.cwd_fd = cwd.get();
  if (options.own_process_group) spec.group = SpawnSpec::Group::kNewProcessGroup;
  spec.fds = {{0, options.stdin_fd >= 0 ? options.stdin_fd : null_fd},
              {1, options.stdout_fd >= 0 ? options.stdout_fd : out_fd},
              {2, options.stderr_fd >= 0 ? options.stderr_fd : err_fd}};
  spec.report_exec_failure = true;
  auto spawned = spawn(spec);
  ::close(null_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (!spawned) throw std::runtime_error(spawned.error().message());
  // A test may block here (a daemon watches the report instead): a program that cannot be
  // executed is the test's error, thrown after its child is reaped, as before.
  if (const auto error = read_exec_report(spawned->report.get())) {
    int status = 0;
    while (::waitpid(spawned->pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::runtime_error(SysError{*error, "execute " + spec.path}.message());
  }
  pid_ = spawned->pid;
}

Process::~Process() {
  if (status_ || pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool Process::running() {
  if (status_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

void Process::signal(int signo) const {
  if (!status_) ::kill(pid_, signo);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  wait_until([this] { return !running(); }, timeout);
  return status_;
}

std::optional<int> Process::wait_exit_code(std::chrono::milliseconds timeout) {
  const auto status = wait(timeout);
  if (!status) return std::nullopt;
  if (WIFEXITED(*status)) return WEXITSTATUS(*status);
  return 128 + WTERMSIG(*status);
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::vector<std::string>& extra_env) {
  Process::Options options;
  options.extra_env = extra_env;
  Process process(argv, options);
  CommandResult result;
  if (const auto code = process.wait_exit_code(timeout)) result.exit_code = *code;
  result.out = process.stdout_text();
  result.err = process.stderr_text();
  return result;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return name;
}

bool have_program(const std::string& name) { return find_program(name) != name; }

bool process_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t close_paren = stat.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= stat.size() ||
         stat[close_paren + 2] != 'Z';
}

pid_t first_child(pid_t pid) {
  const std::string id = std::to_string(pid);
  return static_cast<pid_t>(
      std::atoi(read_file("/proc/" + id + "/task/" + id + "/children").c_str()));
}

std::vector<pid_t> pids_matching(const std::string& needle) {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::string cmdline = read_file("/proc/" + std::string(entry->d_name) + "/cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(needle) == std::string::npos) continue;
    const std::string stat = read_file("/proc/" + std::string(entry->d_name) + "/stat");
    const size_t close_paren = stat.rfind(')');
    if (close_paren != std::string::npos && close_paren + 2 < stat.size() &&
        stat[close_paren + 2] == 'Z')
      continue;
    pids.push_back(pid);
  }
  ::closedir(proc);
  return pids;
}

std::vector<pid_t> pids_with_environment(const std::string& name, const std::string& value) {
  std::vector<pid_t> pids;
  std::string needle(1, '\0');
  needle += name + "=" + value;
  needle += '\0';
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 1 || pid == ::getpid()) continue;
    // A zombie's environ reads empty: it is dead already, its parent reaps it.
    const std::string environ_text = '\0' + read_file("/proc/" + std::string(entry->d_name) + "/environ");
    if (environ_text.find(needle) != std::string::npos) pids.push_back(pid);
  }
  ::closedir(proc);
  return pids;
}

namespace {

/// "PID [STATE] ARGV" of a live process, for the note about what a test left behind.
std::string describe_process(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  const std::string stat = read_file(base + "/stat");
  const size_t close_paren = stat.rfind(')');
  const char state = close_paren != std::string::npos && close_paren + 2 < stat.size()
                         ? stat[close_paren + 2] : '?';
  std::string argv = read_file(base + "/cmdline");
  while (!argv.empty() && argv.back() == '\0') argv.pop_back();
  for (char& c : argv)
    if (c == '\0') c = ' ';
  return std::to_string(pid) + " [" + state + "] " + argv;
}

/// describe_process plus where the kernel holds it: its wait channel and the first frames of
/// its kernel stack (root only), so that a failure report tells a process blocked in the
/// kernel (state D in a mount, an fsync) from one idle in its own loop.
std::string describe_process_in_kernel(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::string line = describe_process(pid);
  const std::string wchan = read_file(base + "/wchan");
  if (!wchan.empty() && wchan != "0") line += "  wchan " + wchan;
  std::istringstream stack(read_file(base + "/stack"));
  std::string frames;
  int kept = 0;
  for (std::string frame; kept < 5 && std::getline(stack, frame); ++kept) {
    // "[<0>] do_epoll_wait+0x4a/0x60": keep the function name.
    const size_t name = frame.find("] ");
    frame = name == std::string::npos ? frame : frame.substr(name + 2);
    frame = frame.substr(0, frame.find('+'));
    frames += (frames.empty() ? "" : " < ") + frame;
  }
  if (!frames.empty()) line += "  kernel " + frames;
  return line;
}

/// Has pid a SIGKILL pending (killed by the test's own clean-up, not dead yet)?
bool kill_pending(pid_t pid) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigPnd:", 0) != 0 && line.rfind("ShdPnd:", 0) != 0) continue;
    const unsigned long long pending = std::strtoull(line.c_str() + 7, nullptr, 16);
    if ((pending & (1ULL << (SIGKILL - 1))) != 0) return true;
  }
  return false;
}

/// SIGKILLs every process tagged with tag; returns what it found (but the ones already
/// dying of a SIGKILL). All of them are stopped
/// first, so that no supervise restarts its run and no svscan its supervise between two
/// kills; SIGCONT follows SIGKILL for a process stopped by someone else. Walks /proc again
/// until none is left: a fork in flight during one walk is caught by the next.
std::vector<std::string> kill_tagged(const std::string& tag) {
  std::vector<std::string> found;
  std::set<pid_t> seen;
  const bool none_left = wait_until([&] {
    const std::vector<pid_t> pids = pids_with_environment(kTestTagVariable, tag);
    for (const pid_t pid : pids) {
      if (seen.insert(pid).second && !kill_pending(pid)) found.push_back(describe_process(pid));
      ::kill(pid, SIGSTOP);
    }
    for (const pid_t pid : pids) {
      ::kill(pid, SIGKILL);
      ::kill(pid, SIGCONT);
    }
    return pids.empty();
  }, 30s);
  if (!none_left) found.emplace_back("(some still alive 30 s later)");
  return found;
}

/// Gives each test its own tag and kills what the test left running when it ends, pass or
/// fail (a failed ASSERT skips the test's own clean-up; a stopped process ignores TERM).
class LeftoverProcessKiller final : public ::testing::EmptyTestEventListener {
 public:
  LeftoverProcessKiller()
      : prefix_(std::to_string(::getpid()) + "." +
                std::to_string(std::chrono::system_clock::now().time_since_epoch().count())) {
    // Processes started outside any test (a suite's set-up) carry the binary's own tag.
    ::setenv(kTestTagVariable, prefix_.c_str(), 1);
    // Each test binary gets a state directory of its own under the one meson names: suites
    // run in parallel, and an svctl without SVDIR (which lists every tree recorded there)
    // must see only the trees of its own suite.
    if (const char* base = std::getenv("SVTREE_STATE_DIR"); base != nullptr && *base != '\0') {
      (void)::mkdir(base, 0755);
      const std::string own = std::string(base) + "/" + prefix_;
      ::setenv("SVTREE_STATE_DIR", own.c_str(), 1);
    }
  }

  void OnTestStart(const ::testing::TestInfo& /*info*/) override {
    tag_ = prefix_ + "." + std::to_string(++tests_);
    ::setenv(kTestTagVariable, tag_.c_str(), 1);
    current_test_stalls = {};
  }

  // At a test's first failed assertion, before its clean-up kills anything: the load and
  // where each of its processes is, so that a failure seen once in CI explains itself.
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed() || reported_tag_ == tag_) return;
    reported_tag_ = tag_;
    std::printf("[ support  ] at this failure: load %s[ support  ] processes of this test:\n",
                read_file("/proc/loadavg").c_str());
    for (const pid_t pid : pids_with_environment(kTestTagVariable, tag_))
      std::printf("[ support  ]   %s\n", describe_process_in_kernel(pid).c_str());
    if (current_test_stalls.count > 0)
      std::printf("[ support  ] the machine stalled %d time(s) during this test: %lld ms in "
                  "all, the longest %lld ms\n",
                  current_test_stalls.count,
                  static_cast<long long>(current_test_stalls.total.count()),
                  static_cast<long long>(current_test_stalls.longest.count()));
    std::fflush(stdout);
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    const std::vector<std::string> left = kill_tagged(tag_);
    ::setenv(kTestTagVariable, prefix_.c_str(), 1);
    if (left.empty()) return;
    std::printf("[ support  ] %s.%s left %zu process(es) running; killed:\n",
                info.test_suite_name(), info.name(), left.size());
    for (const std::string& line : left) std::printf("[ support  ]   %s\n", line.c_str());
    std::fflush(stdout);
  }

 private:
  std::string prefix_;
  std::string tag_;
  std::string reported_tag_;
  unsigned tests_ = 0;
};

// Registered before main: every test binary linking the support library gets it (meson
// links it whole). gtest owns and deletes the listener.
[[maybe_unused]] const bool kLeftoverKillerRegistered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new LeftoverProcessKiller);
  return true;
}();

}  // namespace

}  // namespace svtree::testing
