// SPDX-License-Identifier: MIT
// svscan [-g MS] [-c MAX] [-t MS] [DIR] [-- CMD ARGS...]: argv -> Scanner -> exit status.
#include "programs.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "scanner.hpp"
#include "svtree/diag.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"
#include "svtree/service_dir.hpp"

namespace {

constexpr std::string_view kUsage = "svscan [-g grace_ms] [-c max_services] [-t rescan_ms] "
                                    "[dir] [-- command args...]";

uint32_t number_option(std::string_view option, const char* value) {
  const auto ms = svtree::parse_milliseconds(value != nullptr ? value : "");
  if (!ms) {
    svtree::diag::usage(std::string(kUsage) + " (" + std::string(option) +
                        " wants a non-negative number)");
  }
  return *ms;
}

constexpr std::string_view kHelp =
    "usage: svscan [-g grace_ms] [-c max_services] [-t rescan_ms] [dir] [-- command args...]\n"
    "  dir          the scan directory (default /etc/service)\n"
    "  -g MS        SIGKILL what is left this long after shutdown began (default 7000)\n"
    "  -c MAX       supervise at most MAX services (default 1000)\n"
    "  -t MS        fallback rescan period when inotify cannot watch (default 5000)\n"
    "  -- CMD ...   run CMD as the main command; the tree ends with it\n"
    "  SVTREE_SUPERVISE: the supervise to run (default: the one beside svscan). See svscan(8).\n";

}  // namespace

int svscan_main(int argc, char** argv) {
  svtree::diag::set_program("svscan");
  svtree::answer_help_and_version(argc, argv, kHelp);
  svtree::sanitize_standard_fds();
  svtree::svscan::Options options;
  int i = 1;
  bool have_dir = false;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-g" || arg == "-c" || arg == "-t") {
      const uint32_t value = number_option(arg, i + 1 < argc ? argv[i + 1] : nullptr);
      ++i;
      if (arg == "-g") options.grace_ms = value;
      else if (arg == "-t") options.rescan_ms = value;
      else if (value == 0) svtree::diag::usage(std::string(kUsage) + " (-c wants at least 1)");
      else options.max_services = value;
    } else if (arg.size() > 1 && arg[0] == '-') {
      svtree::diag::usage(std::string(kUsage) + " (unknown option " + std::string(arg) + ")");
    } else if (!have_dir) {
      options.scan_dir = std::string(arg);
      have_dir = true;
    } else {
      svtree::diag::usage(std::string(kUsage) + " (a command goes after --)");
    }
  }
  for (; i < argc; ++i) options.command.emplace_back(argv[i]);
  options.supervise = svtree::svscan::locate_supervise();
  svtree::svscan::Scanner scanner(std::move(options));
  return scanner.run();
}
