// SPDX-License-Identifier: MIT
// Syslog datagrams (RFC 3164 and RFC 5424 framing) turned into svlog lines: pure code.
#pragma once

#include <string>
#include <string_view>

namespace svtree::svlog {

/// One datagram as one line, newline included: "FACILITY.SEVERITY: TEXT\n".
///  - PRI `<N>` gives facility and severity by their syslog.conf names (`daemon.err`,
///    `local3.info`); without a valid PRI the datagram is `user.notice` (RFC 3164 §4.3.3)
///    and is kept whole.
///  - RFC 5424 (`<N>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`): TEXT is `APP[PROCID]: `
///    then MSGID and structured data when present, then MSG (its UTF-8 BOM dropped).
///  - RFC 3164 (`<N>Mmm dd hh:mm:ss TAG: MSG`, or without timestamp): the timestamp is
///    dropped, the rest kept as sent (svlog stamps lines itself).
///  - Trailing newlines, carriage returns and NULs are dropped; a newline inside becomes
///    `#012` (rsyslog's escape), so one datagram can never forge a second line.
std::string format_syslog_datagram(std::string_view datagram);

}  // namespace svtree::svlog
