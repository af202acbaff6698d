// SPDX-License-Identifier: MIT
// One writer for every diagnostic line, so their shape cannot drift between binaries.
#include "svtree/diag.hpp"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace svtree {

namespace diag {
namespace {

std::string_view g_program = "svtree";
LogFormat g_format = LogFormat::kPlain;
std::string g_service;
int g_fd = STDERR_FILENO;
Sink g_sink = nullptr;
void* g_sink_context = nullptr;

void write_line(std::string_view line) {
  // One write so concurrent writers (every supervise shares svscan's stderr) never interleave.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(g_fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

// Queued through svscan's sink when there is one; fatal and usage lines never are: the
// process ends right after them.
void emit(std::string_view level, std::string_view text, bool may_queue = true) {
  const std::string line = format_line(level, text);
  if (may_queue && g_sink != nullptr) g_sink(line, g_sink_context);
  else write_line(line);
}

}  // namespace

std::string format_line(std::string_view level, std::string_view text) {
  std::string line;
  if (g_format == LogFormat::kJson) {
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    std::string body(level);
    body += text;
    line = format_json_log_line(
        static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000,
        g_service.empty() ? std::nullopt : std::optional<std::string_view>(g_service),
        g_program, body);
    line += '\n';
    return line;
  }
  line.reserve(g_program.size() + level.size() + text.size() + 4);
  line += g_program;
  line += ": ";
  line += level;
  line += text;
  line += '\n';
  return line;
}

void set_format(LogFormat format, std::string_view service) {
  g_format = format;
  g_service = service;
}
LogFormat format() { return g_format; }
void set_output_fd(int fd) { g_fd = fd; }
void set_sink(Sink sink, void* context) {
  g_sink = sink;
  g_sink_context = context;
}

void set_program(std::string_view name) {
  const size_t slash = name.rfind('/');
  g_program = slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::string_view program() { return g_program; }

void warning(std::string_view text) { emit("warning: ", text); }
void warning(const SysError& error) { emit("warning: ", error.message()); }
void info(std::string_view text) { emit("", text); }

void fatal(int code, std::string_view text) {
  emit("fatal: ", text, false);
  std::_Exit(code);
}

void fatal(int code, const SysError& error) { fatal(code, error.message()); }

void usage(std::string_view text) {
  emit("usage: ", text, false);
  std::_Exit(kExitUsage);
}

}  // namespace diag
}  // namespace svtree
