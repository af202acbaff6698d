// SPDX-License-Identifier: MIT
// svlogd's pattern matcher (svlogd(8) "PATTERN MATCHING"): not a regular expression.
#pragma once

#include <string_view>

namespace svtree::svlog {

/// Matches text against pattern exactly as svlogd does:
/// - an ordinary character matches itself;
/// - `*` before the end matches any run of characters up to (not including) the first
///   occurrence of the pattern's next character; `*` at the end matches anything;
/// - `+c` matches one or more `c`; if the text ends inside that run it is a match, even
///   when pattern characters remain (svlogd's quirk, kept for compatibility).
/// The whole text must be consumed: `abc` does not match `abcd`.
[[nodiscard]] bool pattern_matches(std::string_view pattern, std::string_view text);

}  // namespace svtree::svlog
