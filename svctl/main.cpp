// SPDX-License-Identifier: MIT
// svctl: control and inspect supervised services; a drop-in for runit's sv(8).
#include "programs.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "commands.hpp"
#include "log_command.hpp"
#include "svtree/diag.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"
#include "svtree/state_dir.hpp"

int svctl_main(int argc, char** argv) {
  using namespace svtree;
  sanitize_standard_fds();
  neutralise_sigpipe();
  diag::set_program(argc > 0 ? argv[0] : "svctl");
  answer_help_and_version(argc, argv, svctl::help_text(diag::program()));
  const std::vector<std::string> args(argv, argv + argc);
  if (args.size() == 2 && args[1] == "-h") {
    (void)write_all(STDOUT_FILENO, svctl::help_text(diag::program()));
    return 0;
  }
  std::string error;
  // $SVDIR, else the tree a running svscan recorded in its state directory, else
  // /etc/service (svctl(8)).
  const std::string svdir = state_dir::find_scan_dir(std::getenv("SVDIR"));
  // Not an sv verb (sv has no 'l'): its own arguments (issue 15, svctl(8)).
  if (args.size() >= 2 && args[1] == "log")
    return svctl::run_log_command({args.begin() + 2, args.end()}, svdir);
  auto invocation = svctl::parse_invocation(args, svdir.c_str(), std::getenv("SVWAIT"), error);
  if (!invocation) {
    const bool lsb = diag::program() != "svctl" && diag::program() != "sv";
    (void)write_all(STDERR_FILENO, std::string(diag::program()) + ": usage: " +
                                       svctl::usage_text(diag::program(), lsb) + " (" + error +
                                       ")\n");
    return lsb ? 2 : diag::kExitUsage;
  }
  return svctl::run_invocation(*invocation);
}
