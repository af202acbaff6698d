// SPDX-License-Identifier: MIT
// escape_name: one pass; UTF-8 well-formedness per the Unicode standard's table 3-7.
#include "svtree/escape.hpp"

namespace svtree {

size_t utf8_sequence_length(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const size_t left = text.size() - at;
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte depends on the first
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;        // overlong
    else if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;        // overlong
    else if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (left < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  return length;
}

std::string escape_name(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size());
  const auto hex = [&](unsigned char b) {
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  };
  for (size_t at = 0; at < name.size();) {
    const auto b = static_cast<unsigned char>(name[at]);
    if (b == '\\') {
      out += "\\\\";
    } else if (b == '\n') {
      out += "\\n";
    } else if (b == '\t') {
      out += "\\t";
    } else if (b == '\r') {
      out += "\\r";
    } else if (b < 0x20 || b == 0x7f) {
      hex(b);
    } else if (b < 0x80) {
      out += name[at];
    } else {
      const size_t length = utf8_sequence_length(name, at);
      // C1 controls (U+0080-U+009F, bytes C2 80-C2 9F) move a terminal as C0 ones do.
      const bool c1 = length == 2 && b == 0xc2 && static_cast<unsigned char>(name[at + 1]) < 0xa0;
      if (length == 0 || c1) {
        hex(b);
      } else {
        out.append(name.substr(at, length));
        at += length;
        continue;
      }
    }
    ++at;
  }
  return out;
}

}  // namespace svtree
