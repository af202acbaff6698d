// SPDX-License-Identifier: MIT
// Signal names as users write them in down-signal files: "TERM", "SIGTERM", "15".
#pragma once

#include <optional>
#include <string_view>

namespace svtree {

/// "HUP", "SIGHUP", "hup" or a number 1..64; surrounding blanks ignored. nullopt if unknown.
std::optional<int> parse_signal(std::string_view text);
/// "TERM" for SIGTERM; "SIG<n>" spelled as the number for signals without a name.
std::string_view signal_name(int signo);

}  // namespace svtree
