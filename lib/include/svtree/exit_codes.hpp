// SPDX-License-Identifier: MIT
// Exit codes shared by every svtree binary (DESIGN.md §6). Pure constants.
#pragma once

namespace svtree::diag {

/// Exit codes shared by every svtree binary (DESIGN.md §6).
inline constexpr int kExitUsage = 100;
inline constexpr int kExitSystem = 111;
/// supervise's exit code when an `essential` service's run ended unasked (DESIGN.md §2):
/// svscan then reads the run's wait status from supervise/status (extension bytes 33-36),
/// shuts the tree down and exits with it.
inline constexpr int kExitEssentialEnded = 99;

}  // namespace svtree::diag
