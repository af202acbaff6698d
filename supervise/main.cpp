// SPDX-License-Identifier: MIT
// supervise DIR: runs DIR/run, restarts it, answers DIR/supervise/control (man supervise.8).
#include "programs.hpp"

#include <signal.h>

#include <string>

#include "service_runner.hpp"
#include "svtree/diag.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"

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
