// SPDX-License-Identifier: MIT
// TAI64N packing and labels. Pure (Tai64n::now, which reads the clock, is in clock.cpp).
#include "svtree/tai64n.hpp"

namespace svtree {

Tai64n Tai64n::from_timespec(const timespec& ts) {
  return Tai64n{kUnixEpochLabel + static_cast<uint64_t>(ts.tv_sec),
                static_cast<uint32_t>(ts.tv_nsec)};
}

std::array<uint8_t, 12> Tai64n::pack() const {
  std::array<uint8_t, 12> bytes{};
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(seconds >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    bytes[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(nanoseconds >> (24 - 8 * i));
  return bytes;
}

Tai64n Tai64n::unpack(std::span<const uint8_t, 12> bytes) {
  Tai64n stamp;
  for (size_t i = 0; i < 8; ++i) stamp.seconds = (stamp.seconds << 8) | bytes[i];
  for (size_t i = 8; i < 12; ++i) stamp.nanoseconds = (stamp.nanoseconds << 8) | bytes[i];
  return stamp;
}

void format_tai64n_label(const Tai64n& stamp, char out[25]) {
  static constexpr char kHex[] = "0123456789abcdef";
  out[0] = '@';
  for (int i = 0; i < 16; ++i) out[1 + i] = kHex[(stamp.seconds >> (60 - 4 * i)) & 0xf];
  for (int i = 0; i < 8; ++i) out[17 + i] = kHex[(stamp.nanoseconds >> (28 - 4 * i)) & 0xf];
}

std::string Tai64n::label() const {
  char text[25];
  format_tai64n_label(*this, text);
  return std::string(text, sizeof text);
}

std::optional<Tai64n> Tai64n::parse_label(std::string_view text) {
  if (text.size() != 25 || text[0] != '@') return std::nullopt;
  Tai64n stamp;
  for (size_t i = 1; i < 25; ++i) {
    const char c = text[i];
    uint32_t digit = 0;
    if (c >= '0' && c <= '9') digit = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') digit = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = static_cast<uint32_t>(c - 'A' + 10);
    else return std::nullopt;
    if (i <= 16) stamp.seconds = (stamp.seconds << 4) | digit;
    else stamp.nanoseconds = (stamp.nanoseconds << 4) | digit;
  }
  return stamp;
}

}  // namespace svtree
