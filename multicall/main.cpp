// SPDX-License-Identifier: MIT
// svtree: the one binary behind svscan, supervise, svctl and svlog (busybox style). It acts
// on the name it was started under, or on its first argument (`svtree svscan DIR`). One file
// for the whole tree means its text is mapped once and shared by every process of the tree
// (issue 17: four static binaries cost ~1.2 MB of private text each).
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "programs.hpp"
#include "svtree/diag.hpp"
#include "svtree/program_info.hpp"

namespace {

using EntryPoint = int (*)(int, char**);

struct Program {
  std::string_view name;
  EntryPoint entry;
};

constexpr Program kPrograms[] = {
    {"supervise", supervise_main},
    {"svscan", svscan_main},
    {"svctl", svctl_main},
    {"svlog", svlog_main},
    // Internal: svscan's writer child (svscan(8), OUTPUT), started as /proc/self/exe.
    {"svscan-output", svscan_output_main},
};

constexpr std::string_view kUsage =
    "usage: svtree PROGRAM [ARGS...]  (PROGRAM: svscan, supervise, svctl, svlog)\n"
    "   or: PROGRAM [ARGS...] through a link named after the program\n";

std::string_view base_name(const char* path) {
  const std::string_view name = path != nullptr ? path : "";
  const size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

const Program* find_program(std::string_view name) {
  for (const Program& program : kPrograms)
    if (program.name == name) return &program;
  return nullptr;
}

// svscan starts supervise as /proc/self/exe, whose process name would be "exe": name the
// process after the program so that ps, pgrep -x and top show what it is.
int run(const Program& program, int argc, char** argv) {
  const std::string name(program.name);
  (void)::prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
  return program.entry(argc, argv);
}

void write_text(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view invoked_as = base_name(argc > 0 ? argv[0] : nullptr);
  if (const Program* program = find_program(invoked_as)) return run(*program, argc, argv);
  if (invoked_as == "svtree") {
    if (argc >= 2) {
      const std::string_view first = argv[1];
      if (const Program* program = find_program(base_name(argv[1])))
        return run(*program, argc - 1, argv + 1);
      if (first == "-h") {
        write_text(STDOUT_FILENO, kUsage);
        return 0;
      }
      svtree::diag::set_program("svtree");
      svtree::answer_help_and_version(argc, argv, kUsage);
    }
    write_text(STDERR_FILENO, kUsage);
    return 100;
  }
  // Any other name is an init-script link (/etc/init.d/web -> svctl): svctl's LSB mode, as
  // runit's sv does when called under another name.
  return svctl_main(argc, argv);
}
