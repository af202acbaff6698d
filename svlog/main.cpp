// SPDX-License-Identifier: MIT
// svlog: svlogd-compatible logger. argv → Options → Logger → exit code.
#include "programs.hpp"

#include <string>
#include <vector>

#include "logger.hpp"
#include "options.hpp"
#include "svtree/diag.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"

int svlog_main(int argc, char** argv) {
  using namespace svtree;
  diag::set_program(argc > 0 ? argv[0] : "svlog");
  sanitize_standard_fds();
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::string error;
  auto options = svlog::parse_options(args, error);
  if (!options) diag::usage(error + "\n" + svlog::kUsage);
  neutralise_sigpipe();
  svlog::Logger logger(Loop::default_loop(), std::move(*options));
  if (!logger.open_targets()) diag::fatal(diag::kExitSystem, "no functional log target");
  return logger.run();
}
