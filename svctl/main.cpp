// SPDX-License-Identifier: MIT
// svctl: control and inspect supervised services; a drop-in for runit's sv(8).
#include "programs.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "commands.hpp"
#include "svtree/diag.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"

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
  auto invocation = svctl::parse_invocation(args, std::getenv("SVDIR"), std::getenv("SVWAIT"),
                                            error);
  if (!invocation) {
    const bool lsb = diag::program() != "svctl" && diag::program() != "sv";
    (void)write_all(STDERR_FILENO, std::string(diag::program()) + ": usage: " +
                                       svctl::usage_text(diag::program(), lsb) + " (" + error +
                                       ")\n");
    return lsb ? 2 : diag::kExitUsage;
  }
  return svctl::run_invocation(*invocation);
}
