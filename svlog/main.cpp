// SPDX-License-Identifier: MIT
// svlog: svlogd-compatible logger. argv → Options → Logger → exit code.
#include "programs.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "logger.hpp"
#include "options.hpp"
#include "svtree/diag.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"

int svlog_main(int argc, char** argv) {
  using namespace svtree;
  diag::set_program(argc > 0 ? argv[0] : "svlog");
  sanitize_standard_fds();
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::string error;
  auto options = svlog::parse_options(args, error);
  if (!options) diag::usage(error + "\n" + svlog::kUsage);
  // Exit 0 only when the text was written (`svlog --help > /dev/full` is an error), as
  // lib's answer_help_and_version, which sees only a lone argv[1].
  if (options->help) {
    return write_all(STDOUT_FILENO, std::string("usage: ") + svlog::kUsage + "\n" + svlog::kHelp)
               ? 0
               : diag::kExitSystem;
  }
  if (options->version) {
    return write_all(STDOUT_FILENO, "svlog (svtree) " + std::string(version()) + "\n")
               ? 0
               : diag::kExitSystem;
  }
  neutralise_sigpipe();
  svlog::Logger logger(Loop::default_loop(), std::move(*options));
  if (auto socket = logger.open_socket(); !socket) {
    const int code = socket.error().code;
    diag::fatal(code == ENOTSOCK || code == EADDRINUSE ? diag::kExitUsage : diag::kExitSystem,
                socket.error());
  }
  if (!logger.open_targets()) {
    logger.close_socket();
    diag::fatal(diag::kExitSystem, "no functional log target");
  }
  return logger.run();
}
