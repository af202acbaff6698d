// SPDX-License-Identifier: MIT
// svscan [-q] [-g MS] [-c MAX] [-t MS] [-W MS] [DIR] [-- CMD ARGS...]: argv -> Scanner ->
// exit status.
#include "programs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "scanner.hpp"
#include "svtree/diag.hpp"
#include "svtree/io.hpp"
#include "svtree/program_info.hpp"
#include "svtree/service_dir.hpp"

namespace {

constexpr std::string_view kUsage = "svscan [-q] [-j] [-g grace_ms] [-c max_services] [-t rescan_ms] "
                                    "[-W wait_ms] [dir] [-- command args...]";

uint32_t number_option(std::string_view option, const char* value) {
  const auto ms = svtree::parse_milliseconds(value != nullptr ? value : "");
  if (!ms) {
    svtree::diag::usage(std::string(kUsage) + " (" + std::string(option) +
                        " wants a non-negative number)");
  }
  return *ms;
}

constexpr std::string_view kHelp =
    "usage: svscan [-q] [-j] [-g grace_ms] [-c max_services] [-t rescan_ms] [-W wait_ms]\n"
    "              [dir]\n"
    "              [-- command args...]\n"
    "  dir          the scan directory (default /etc/service)\n"
    "  -q           quiet: no notices of svscan's own (warnings remain)\n"
    "  -j           JSON lines for everything svscan prints (SVTREE_LOG_FORMAT=json)\n"
    "  -g MS        SIGKILL what is left this long after shutdown began (default 7000)\n"
    "  -c MAX       supervise at most MAX services (default 1000)\n"
    "  -t MS        fallback rescan period when inotify cannot watch (default 5000)\n"
    "  -W MS        start CMD once every service is up and ready; past MS, exit 111\n"
    "  -- CMD ...   run CMD as the main command (tini-style); the tree ends with it\n"
    "  SVTREE_LOG_FORMAT: plain (default) or json, as -j.\n"
    "  SVTREE_STATE_DIR: where the state directories are (default /run/svtree).\n"
    "  SVTREE_SUPERVISE: the supervise to run (default: svscan's own executable, as\n"
    "                    supervise). See svscan(8).\n";

}  // namespace

int svscan_main(int argc, char** argv) {
  // First of all, before an event loop touches either: the signal mask and ignored set
  // our caller gave us are the main command's (tini's sigconf). svscan itself then starts
  // from an empty mask (a SIGTERM blocked by the parent must not make `docker stop` wait).
  svtree::svscan::Options options;
  options.inherited_signals = svtree::SignalState::current();
  sigset_t empty;
  ::sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  svtree::diag::set_program("svscan");
  svtree::answer_help_and_version(argc, argv, kHelp);
  svtree::sanitize_standard_fds();
  if (const char* format = std::getenv(svtree::kLogFormatEnv); format != nullptr && *format) {
    const auto parsed = svtree::parse_log_format(format);
    if (!parsed)
      svtree::diag::usage(std::string(kUsage) + " (" + svtree::kLogFormatEnv +
                          " is plain or json)");
    options.log_format = *parsed;
  }
  int i = 1;
  bool have_dir = false;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      options.main_command_mode = true;
      ++i;
      break;
    }
    if (arg == "-q") {
      options.quiet = true;
    } else if (arg == "-j") {
      options.log_format = svtree::LogFormat::kJson;
    } else if (arg == "-g" || arg == "-c" || arg == "-t" || arg == "-W") {
      const uint32_t value = number_option(arg, i + 1 < argc ? argv[i + 1] : nullptr);
      ++i;
      if (arg == "-g") options.grace_ms = value;
      else if (arg == "-t") options.rescan_ms = value;
      else if (arg == "-W") options.wait_ready_ms = value;
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
  if (options.main_command_mode && options.command.empty())
    svtree::diag::usage(std::string(kUsage) + " (-- wants a command after it)");
  if (options.wait_ready_ms && !options.main_command_mode)
    svtree::diag::usage(std::string(kUsage) + " (-W holds a main command: give one after --)");
  // The main command runs where svscan was started (the image's WORKDIR), not in the
  // scan directory svscan moves to. O_PATH: a directory we may not read is still fine.
  if (options.main_command_mode)
    options.cwd_fd = ::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  options.supervise = svtree::svscan::locate_supervise();
  svtree::diag::set_format(options.log_format);
  svtree::svscan::Scanner scanner(std::move(options));
  return scanner.run();
}
