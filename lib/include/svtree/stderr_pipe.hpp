// SPDX-License-Identifier: MIT
// The stderr pipe svscan hands a supervise for the `stderr separate` knob (DESIGN.md §2,
// issue 15): passed at a descriptor named by one environment variable, never as
// supervise's own fd 2, so supervise's messages never end up in the service's stderr log.
#pragma once

#include <string>

#include "svtree/unique_fd.hpp"

namespace svtree {

/// SVTREE_STDERR_FD=N: fd N of supervise is the write end of the service's stderr stream.
/// Whoever starts supervise sets it (svscan for a service with log/; the catch-all path
/// may use it for a service without one).
inline constexpr const char* kStderrFdVariable = "SVTREE_STDERR_FD";
/// The descriptor svscan puts that pipe at in supervise (above stdin, stdout, stderr).
inline constexpr int kStderrChildFd = 3;

/// "SVTREE_STDERR_FD=3", for an environment built for supervise.
std::string stderr_fd_assignment(int child_fd);

/// Takes the descriptor SVTREE_STDERR_FD names, if any: removes the variable from our
/// environment (run must not see it), makes the fd close-on-exec and returns its owner.
/// Invalid when the variable is absent, not a number above 2, or not an open descriptor.
UniqueFd take_stderr_pipe();

}  // namespace svtree
