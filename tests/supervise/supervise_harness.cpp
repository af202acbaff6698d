// SPDX-License-Identifier: MIT
// Harness for tests that run the real supervise binary.
#include "supervise_harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "svtree/io.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::testing {

std::optional<StatusRecord> read_status(const std::string& service_dir) {
  // Through the protocol's client half: status plus, when coherent, status.svtree.
  auto record = read_service_status(service_dir);
  if (!record) return std::nullopt;
  return *record;
}

bool send_control(const std::string& service_dir, const std::string& bytes) {
  const int fd =
      ::open((service_dir + "/supervise/control").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ::close(fd);
  return ok;
}

std::string supervise_binary() { return binary_from_env("SVTREE_SUPERVISE"); }

std::string program_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(begin, end - begin) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return "";
}

ServiceFixture::ServiceFixture(const std::string& name) : dir_(temp_ / name) { make_dirs(dir_); }

ServiceFixture::~ServiceFixture() { kill_processes_under(temp_.path()); }

void kill_processes_under(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return;
  const std::string prefix = real;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return;
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 1 || pid == ::getpid()) continue;
    char cwd[PATH_MAX];
    const std::string link = "/proc/" + std::string(entry->d_name) + "/cwd";
    const ssize_t n = ::readlink(link.c_str(), cwd, sizeof cwd - 1);
    if (n <= 0) continue;
    const std::string where(cwd, static_cast<size_t>(n));
    // The temp dir's name is unique, so a prefix match is ours.
    if (where.rfind(prefix, 0) == 0) ::kill(pid, SIGKILL);
  }
  ::closedir(proc);
}

std::string processes_under(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return "";
  const std::string prefix = real;
  std::string lines;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return "";
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 1) continue;
    const std::string base = "/proc/" + std::string(entry->d_name);
    char cwd[PATH_MAX];
    const ssize_t n = ::readlink((base + "/cwd").c_str(), cwd, sizeof cwd - 1);
    if (n <= 0 || std::string(cwd, static_cast<size_t>(n)).rfind(prefix, 0) != 0) continue;
    // stat: "PID (COMM) STATE ..."; COMM may hold spaces, so the state follows the last ')'.
    const std::string stat = read_file(base + "/stat");
    const size_t close = stat.rfind(')');
    const size_t open = stat.find('(');
    if (close == std::string::npos || open == std::string::npos) continue;
    lines += std::string(entry->d_name) + " " + stat.substr(open, close - open + 1) + " " +
             stat.substr(close + 2, 1) + " wchan " + read_file(base + "/wchan") + "\n";
  }
  ::closedir(proc);
  return lines;
}

void ServiceFixture::write_run(const std::string& body) const { write_script(file("run"), body); }

std::unique_ptr<Process> ServiceFixture::start(Process::Options options) const {
  const std::string binary = supervise_binary();
  if (binary.empty()) ADD_FAILURE() << "SVTREE_SUPERVISE is not set";
  return std::make_unique<Process>(std::vector<std::string>{binary, dir_}, options);
}

bool ServiceFixture::wait_status(const std::function<bool(const StatusRecord&)>& pred,
                                 std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        const auto record = read_status(dir_);
        return record && pred(*record);
      },
      timeout);
}

pid_t ServiceFixture::wait_running(pid_t not_pid) const {
  pid_t found = 0;
  wait_status([&](const StatusRecord& r) {
    if (r.state != RunState::kRun || r.pid == 0 || r.pid == not_pid) return false;
    found = r.pid;
    return true;
  });
  return found;
}

bool ServiceFixture::wait_down() const {
  return wait_status([](const StatusRecord& r) { return r.state == RunState::kDown; });
}

bool ServiceFixture::wait_run_lived(int seconds) const {
  return wait_status(
      [seconds](const StatusRecord& r) {
        return r.since.unix_seconds() + seconds <= Tai64n::now().unix_seconds();
      },
      30s);
}

}  // namespace svtree::testing
