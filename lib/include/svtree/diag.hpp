// SPDX-License-Identifier: MIT
// Diagnostics in one shape: "prog: fatal: unable to VERB OBJECT: REASON", "prog: warning: ...".
#pragma once

#include <string_view>

#include "svtree/exit_codes.hpp"
#include "svtree/result.hpp"

namespace svtree::diag {

/// Sets the program name printed before every message (basename of argv[0] is typical).
void set_program(std::string_view name);
[[nodiscard]] std::string_view program();

/// Writes "prog: warning: TEXT\n" to stderr with one write(2), so lines never interleave.
void warning(std::string_view text);
void warning(const SysError& error);
/// Writes "prog: TEXT\n": a plain notice (svscan logs its own decisions this way).
void info(std::string_view text);
/// Writes "prog: fatal: TEXT\n" and exits with code. Only main and start-up call this.
[[noreturn]] void fatal(int code, std::string_view text);
[[noreturn]] void fatal(int code, const SysError& error);
/// Writes "prog: usage: TEXT\n" and exits 100.
[[noreturn]] void usage(std::string_view text);

}  // namespace svtree::diag
