// SPDX-License-Identifier: MIT
// --help and --version for every program.
#include "svtree/program_info.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "svtree/diag.hpp"
#include "svtree/io.hpp"

#ifndef SVTREE_VERSION
#error "lib/meson.build defines SVTREE_VERSION from project()"
#endif

namespace svtree {

std::string_view version() { return SVTREE_VERSION; }

void answer_help_and_version(int argc, char* const argv[], std::string_view help) {
  if (argc != 2) return;
  const std::string_view arg = argv[1];
  std::string text;
  if (arg == "--help") {
    text = help;
    if (!text.empty() && text.back() != '\n') text += '\n';
  } else if (arg == "--version") {
    text = std::string(diag::program()) + " (svtree) " + std::string(version()) + "\n";
  } else {
    return;
  }
  // Exit 0 only when the text was written: `prog --help > /dev/full` is an error.
  std::exit(write_all(STDOUT_FILENO, text) ? 0 : diag::kExitSystem);
}

}  // namespace svtree
