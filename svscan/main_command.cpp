// SPDX-License-Identifier: MIT
// MainCommand: spawn, forward, record.
#include "main_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "scanner.hpp"
#include "svtree/control.hpp"
#include "svtree/io.hpp"
#include "svtree/status_record.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::svscan {

MainCommand::MainCommand(Loop& loop, Options options, Say note, Say warn)
    : loop_(loop), options_(std::move(options)), note_(std::move(note)), warn_(std::move(warn)) {
  if (options_.record_dir.empty()) return;
  // The main command's record is a supervise/ directory like any service's (runit's layout,
  // through the one protocol module), so svctl and sv read and signal it the same way.
  if (::mkdir(options_.record_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    warn_(errno_error("make directory " + options_.record_dir).message() +
          ": svctl will not see the main command");
    options_.record_dir.clear();
    return;
  }
  auto dir = ServiceDir::open(options_.record_dir);
  auto server = dir ? SuperviseServer::open(*dir) : Result<SuperviseServer>(dir.error());
  if (!server) {
    warn_(server.error().message() + ": svctl will not see the main command");
    options_.record_dir.clear();
    return;
  }
  server_.emplace(std::move(*server));
  control_watch_ = std::make_unique<IoWatch>(loop_, server_->control_fd(), EV_READ,
                                             [this](int) { on_control(); });
  control_watch_->start();
}

MainCommand::~MainCommand() {
  if (options_.record_dir.empty()) return;
  control_watch_.reset();
  server_.reset();
  remove_supervise_dir(options_.record_dir);
  ::rmdir(options_.record_dir.c_str());
}

Result<pid_t> MainCommand::start() {
  const std::string path = find_in_path(options_.argv[0]);
  if (path.empty()) return SysError{ENOENT, "find " + options_.argv[0] + " on PATH"};
  SpawnSpec spec;
  spec.path = path;
  spec.argv = options_.argv;
  spec.cwd_fd = options_.cwd_fd;
  spec.group = SpawnSpec::Group::kNewProcessGroup;
  spec.terminal_fd = options_.terminal_fd;
  spec.signals = options_.signals;
  spec.report_exec_failure = true;
  auto spawned = spawn(spec);
  if (!spawned) return spawned.error();
  pid_ = spawned->pid;
  report_ = std::move(spawned->report);
  report_watch_ = std::make_unique<IoWatch>(loop_, report_.get(), EV_READ,
                                            [this](int) { on_report(); });
  report_watch_->start();
  write_record(-1);
  return pid_;
}

void MainCommand::on_report() noexcept {
  const auto error = read_exec_report(report_.get());
  report_watch_->stop();
  report_.reset();
  if (error)
    warn_("unable to run main command " + options_.argv[0] + ": " + std::strerror(*error) +
          " (exit status " + std::to_string(exec_failure_status(*error)) + ")");
}

bool MainCommand::forward(int signo) {
  if (pid_ <= 0) return false;
  return ::kill(pid_, signo) == 0;
}

void MainCommand::on_exit(int wait_status) {
  // The exec report is readable by now (the command exec'd or failed to): said before the
  // exit, so the reason is never cut off by the shutdown that the exit begins (issue 15:
  // svscan's last lines go out before its writers end).
  if (report_.valid()) on_report();
  pid_ = 0;
  write_record(wait_status);
  if (options_.terminal_fd >= 0 && ::isatty(options_.terminal_fd) == 1) {
    // Take the terminal back, as a shell does when its job ends. From a background group
    // that is allowed only with SIGTTOU blocked (or ignored).
    sigset_t ttou;
    sigset_t old;
    ::sigemptyset(&ttou);
    ::sigaddset(&ttou, SIGTTOU);
    ::sigprocmask(SIG_BLOCK, &ttou, &old);
    (void)::tcsetpgrp(options_.terminal_fd, ::getpgrp());
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
  }
}

void MainCommand::write_record(int wait_status) {
  if (!server_) return;
  StatusRecord record;
  record.since = Tai64n::now();
  record.pid = pid_;
  record.want_up = pid_ > 0;
  record.state = pid_ > 0 ? RunState::kRun : RunState::kDown;
  StatusExtension extension;
  // No readiness protocol for the main command: running is ready (DESIGN.md §2's rule for
  // a service without notification-fd).
  if (pid_ > 0) {
    extension.ready_since = record.since;
    extension.flags = StatusExtension::kFlagReady;
  }
  extension.start_count = 1;
  if (wait_status >= 0) extension.last_wait_status = static_cast<uint32_t>(wait_status);
  record.extension = extension;
  if (auto published = server_->publish(record, false); !published)
    warn_(published.error().message());
}

void MainCommand::on_control() noexcept {
  char bytes[64];
  for (;;) {
    const auto n = read_some(server_->control_fd(), bytes);
    if (!n || *n == 0) return;
    for (size_t i = 0; i < *n; ++i) {
      const auto command = parse_control_byte(bytes[i]);
      if (!command) continue;
      int signo = signal_of(*command);
      // Down and exit stop the main command as they would a service: TERM, then CONT.
      if (*command == Command::kDown || *command == Command::kExit) signo = SIGTERM;
      if (signo == 0) continue;
      forward(signo);
      if (signo == SIGTERM) forward(SIGCONT);
    }
  }
}

}  // namespace svtree::svscan
