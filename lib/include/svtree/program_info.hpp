// SPDX-License-Identifier: MIT
// --help and --version, answered the same way by every svtree program (DESIGN.md §6).
#pragma once

#include <string_view>

namespace svtree {

/// svtree's version, as meson's project() declares it.
[[nodiscard]] std::string_view version();

/// When argv[1] is exactly "--help" or "--version" (and nothing follows it), writes the
/// help text or "PROG (svtree) VERSION" to stdout and exits 0; otherwise returns. Called
/// first thing in main, so such an argument never reaches option parsing or is taken for
/// a directory.
void answer_help_and_version(int argc, char* const argv[], std::string_view help);

}  // namespace svtree
