// SPDX-License-Identifier: MIT
// Names made safe to print: a service name is whatever bytes a directory entry holds,
// newlines and invalid UTF-8 included (issue 12, item 8).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace svtree {

/// Length of the well-formed UTF-8 sequence that starts at text[at] (1 to 4; overlong
/// forms, surrogates and code points above U+10FFFF are not well-formed), 0 when the byte
/// there does not start one.
[[nodiscard]] size_t utf8_sequence_length(std::string_view text, size_t at);

/// A name for one line of text, C style: `\` becomes `\\`; newline, tab and carriage
/// return become `\n`, `\t`, `\r`; every other control byte (0x00-0x1f, 0x7f), C1 control
/// (U+0080-U+009F) and byte that is not part of well-formed UTF-8 becomes `\xHH`. Printable
/// ASCII and well-formed UTF-8 pass unchanged, so an ordinary name prints as itself, and
/// the original bytes can always be recovered.
[[nodiscard]] std::string escape_name(std::string_view name);

}  // namespace svtree
