// SPDX-License-Identifier: MIT
// Diagnostics in one shape: "prog: fatal: unable to VERB OBJECT: REASON", "prog: warning: ...".
#pragma once

#include <string_view>

#include "svtree/exit_codes.hpp"
#include "svtree/json.hpp"
#include "svtree/result.hpp"

namespace svtree::diag {

/// Sets the program name printed before every message (basename of argv[0] is typical).
void set_program(std::string_view name);
[[nodiscard]] std::string_view program();

/// Issue 15: the shape of every line (plain "prog: TEXT" or one JSON object with the
/// program as "stream" and service as "service", null when empty).
void set_format(LogFormat format, std::string_view service = {});
[[nodiscard]] LogFormat format();
/// Where lines go: stderr by default; supervise under svscan writes to the pipe svscan
/// reads ($SVTREE_DIAG_FD). The caller keeps fd open.
void set_output_fd(int fd);
/// svscan's own notices and warnings: handed to sink (a non-blocking queue) instead of
/// being written; fatal and usage lines are always written at once. nullptr: write again.
using Sink = void (*)(std::string_view line, void* context);
void set_sink(Sink sink, void* context);
/// One finished line in the current format (newline included), as emit would write it.
[[nodiscard]] std::string format_line(std::string_view level, std::string_view text);

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
