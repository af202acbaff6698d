// SPDX-License-Identifier: MIT
// Byte layout of supervise/status. Offsets and endianness are runit's, see DESIGN.md §3.
#include "svtree/status_record.hpp"

#include <algorithm>

namespace svtree {
namespace {

void put_le32(std::vector<uint8_t>& out, size_t at, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint32_t get_le32(std::span<const uint8_t> in, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value |= static_cast<uint32_t>(in[at + i]) << (8 * i);
  return value;
}

}  // namespace

std::vector<uint8_t> StatusRecord::pack() const {
  std::vector<uint8_t> out(extension ? kSvtreeSize : kRunitSize, 0);
  const auto stamp = since.pack();
  std::copy(stamp.begin(), stamp.end(), out.begin());
  // runit writes the pid in host order on little-endian machines; the contract fixes LE.
  put_le32(out, 12, static_cast<uint32_t>(pid));
  out[16] = paused ? 1 : 0;
  out[17] = want_up ? 'u' : 'd';
  out[18] = got_term ? 1 : 0;
  out[19] = static_cast<uint8_t>(state);
  if (extension) {
    out[20] = StatusExtension::kVersion;
    const auto ready = extension->ready_since.pack();
    std::copy(ready.begin(), ready.end(), out.begin() + 21);
    put_le32(out, 33, extension->last_wait_status);
    put_le32(out, 37, extension->start_count);
    out[41] = extension->flags;
  }
  return out;
}

std::optional<StatusRecord> StatusRecord::unpack(std::span<const uint8_t> bytes) {
  if (bytes.size() < kDaemontoolsSize) return std::nullopt;
  StatusRecord record;
  record.since = Tai64n::unpack(bytes.first<12>());
  record.pid = static_cast<pid_t>(get_le32(bytes, 12));
  record.paused = bytes[16] != 0;
  record.want_up = bytes[17] == 'u';
  if (bytes.size() < kRunitSize) {
    record.state = record.pid != 0 ? RunState::kRun : RunState::kDown;
    return record;
  }
  record.got_term = bytes[18] != 0;
  record.state = bytes[19] <= 2 ? static_cast<RunState>(bytes[19]) : RunState::kDown;
  if (bytes.size() >= kSvtreeSize && bytes[20] >= StatusExtension::kVersion) {
    StatusExtension ext;
    ext.ready_since = Tai64n::unpack(bytes.subspan(21).first<12>());
    ext.last_wait_status = get_le32(bytes, 33);
    ext.start_count = get_le32(bytes, 37);
    ext.flags = bytes[41];
    record.extension = ext;
  }
  return record;
}

std::string StatusRecord::stat_text(bool want_exit) const {
  std::string text;
  switch (state) {
    case RunState::kDown: text = "down"; break;
    case RunState::kRun: text = "run"; break;
    case RunState::kFinish: text = "finish"; break;
  }
  if (paused) text += ", paused";
  if (got_term) text += ", got TERM";
  // runsv names the wish only while something runs against it.
  if (state != RunState::kDown && !want_up) text += want_exit ? ", want exit" : ", want down";
  text += '\n';
  return text;
}

std::string StatusRecord::pid_text() const {
  if (pid == 0) return {};
  return std::to_string(pid) + "\n";
}

}  // namespace svtree
