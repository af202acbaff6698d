// SPDX-License-Identifier: MIT
// supervise DIR: runs DIR/run, restarts it, answers DIR/supervise/control (man supervise.8).
#include "programs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "service_runner.hpp"
#include "svtree/diag.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"

namespace {

// Issue 15: under svscan, our own lines follow svscan's format ($SVTREE_LOG_FORMAT) and go
// to the pipe svscan reads ($SVTREE_DIAG_FD, a FIFO or pipe), never to the stderr we pass
// on to run: svscan queues them without blocking and labels them apart from the service's
// own stderr. SVTREE_DIAG_FD is removed so that run, finish and check never see it (the
// format stays: a service may follow it too).
void take_log_settings(const std::string& dir) {
  using namespace svtree;
  if (const char* format = std::getenv(kLogFormatEnv); format != nullptr)
    if (const auto parsed = parse_log_format(format)) diag::set_format(*parsed, dir);
  if (const char* fd_text = std::getenv("SVTREE_DIAG_FD"); fd_text != nullptr) {
    const int fd = std::atoi(fd_text);
    struct stat st {};
    if (fd > 2 && ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
      (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
      diag::set_output_fd(fd);
    }
    ::unsetenv("SVTREE_DIAG_FD");
  }
}

}  // namespace

int supervise_main(int argc, char** argv) {
  using namespace svtree;
  diag::set_program("supervise");
  answer_help_and_version(argc, argv,
                          "usage: supervise DIR\n"
                          "  runs DIR/run, restarts it, and answers DIR/supervise/control.\n"
                          "  svscan starts one per service; see supervise(8).\n");
  if (argc != 2 || argv[1][0] == '\0') diag::usage("supervise DIR");
  std::string dir = argv[1];
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();

  // Before anything opens a file: fd 0-2 must not be reused for our own files.
  sanitize_standard_fds();
  take_log_settings(dir);
  // A logger that went away must not kill us: writes to it fail with EPIPE instead.
  neutralise_sigpipe();

  Loop& loop = Loop::default_loop();
  auto runner = supervise::ServiceRunner::open(dir, loop);
  if (!runner) diag::fatal(diag::kExitSystem, runner.error());
  // svscan starts us with every signal blocked (its handlers are gone with exec, and it
  // need not reset each one: issue #18). Our own are in place now, so a TERM or HUP sent
  // since the fork reaches them. Our children get their own mask (spawner).
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  return (*runner)->run();
}
