// SPDX-License-Identifier: MIT
// One writer for every diagnostic line, so their shape cannot drift between binaries.
#include "svtree/diag.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace svtree {

namespace diag {
namespace {

std::string_view g_program = "svtree";

void emit(std::string_view level, std::string_view text) {
  std::string line;
  line.reserve(g_program.size() + level.size() + text.size() + 4);
  line += g_program;
  line += ": ";
  line += level;
  line += text;
  line += '\n';
  // One write so concurrent writers (every supervise shares svscan's stderr) never interleave.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void set_program(std::string_view name) {
  const size_t slash = name.rfind('/');
  g_program = slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::string_view program() { return g_program; }

void warning(std::string_view text) { emit("warning: ", text); }
void warning(const SysError& error) { emit("warning: ", error.message()); }
void info(std::string_view text) { emit("", text); }

void fatal(int code, std::string_view text) {
  emit("fatal: ", text);
  std::_Exit(code);
}

void fatal(int code, const SysError& error) { fatal(code, error.message()); }

void usage(std::string_view text) {
  emit("usage: ", text);
  std::_Exit(kExitUsage);
}

}  // namespace diag
}  // namespace svtree
