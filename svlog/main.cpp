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
  if (options->help) {
    (void)write_all(STDOUT_FILENO, std::string("usage: ") + svlog::kUsage + "\n" + svlog::kHelp);
    return 0;
  }
  if (options->version) {
    (void)write_all(STDOUT_FILENO, "svlog (svtree) " + std::string(version()) + "\n");
    return 0;
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
