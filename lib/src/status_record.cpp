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
  std::vector<uint8_t> out(kRunitSize, 0);
  const auto stamp = since.pack();
  std::copy(stamp.begin(), stamp.end(), out.begin());
  // runit writes the pid in host order on little-endian machines; the contract fixes LE.
  put_le32(out, 12, static_cast<uint32_t>(pid));
  out[16] = paused ? 1 : 0;
  out[17] = want_up ? 'u' : 'd';
  out[18] = got_term ? 1 : 0;
  out[19] = static_cast<uint8_t>(state);
  return out;
}

std::vector<uint8_t> StatusRecord::pack_extended() const {
  std::vector<uint8_t> out = pack();
  out.resize(kExtendedSize, 0);
  const StatusExtension ext = extension.value_or(StatusExtension{});
  out[20] = StatusExtension::kVersion;
  const auto ready = ext.ready_since.pack();
  std::copy(ready.begin(), ready.end(), out.begin() + 21);
  put_le32(out, 33, ext.last_wait_status);
  put_le32(out, 37, ext.start_count);
  out[41] = ext.flags;
  put_le32(out, 42, static_cast<uint32_t>(ext.run_start_time));
  put_le32(out, 46, static_cast<uint32_t>(ext.run_start_time >> 32));
  out[50] = static_cast<uint8_t>(ext.phase);
  put_le32(out, 51, ext.failed_starts);
  const auto next = ext.next_start.pack();
  std::copy(next.begin(), next.end(), out.begin() + 55);
  out[67] = ext.health;
  put_le32(out, 68, ext.restart_delay_ms);
  put_le32(out, 72, static_cast<uint32_t>(ext.parent_pid));
  put_le32(out, 76, static_cast<uint32_t>(ext.parent_start_time));
  put_le32(out, 80, static_cast<uint32_t>(ext.parent_start_time >> 32));
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
  return record;
}

std::optional<StatusExtension> StatusRecord::unpack_extended(std::span<const uint8_t> status,
                                                             std::span<const uint8_t> extended) {
  if (status.size() < kRunitSize || extended.size() < kExtendedSize) return std::nullopt;
  if (!std::equal(status.begin(), status.begin() + kRunitSize, extended.begin()))
    return std::nullopt;
  if (extended[20] < StatusExtension::kVersion) return std::nullopt;
  StatusExtension ext;
  ext.ready_since = Tai64n::unpack(extended.subspan(21).first<12>());
  ext.last_wait_status = get_le32(extended, 33);
  ext.start_count = get_le32(extended, 37);
  ext.flags = extended[41];
  ext.run_start_time =
      get_le32(extended, 42) | (static_cast<uint64_t>(get_le32(extended, 46)) << 32);
  ext.phase = extended[50] <= static_cast<uint8_t>(Phase::kExiting)
                  ? static_cast<Phase>(extended[50])
                  : Phase::kDown;
  ext.failed_starts = get_le32(extended, 51);
  ext.next_start = Tai64n::unpack(extended.subspan(55).first<12>());
  ext.health = extended[67];
  ext.restart_delay_ms = get_le32(extended, 68);
  ext.parent_pid = static_cast<pid_t>(get_le32(extended, 72));
  ext.parent_start_time =
      get_le32(extended, 76) | (static_cast<uint64_t>(get_le32(extended, 80)) << 32);
  return ext;
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kDown: return "down";
    case Phase::kStarting: return "starting";
    case Phase::kRunning: return "running";
    case Phase::kStopping: return "stopping";
    case Phase::kFinishing: return "finishing";
    case Phase::kBackoff: return "backoff";
    case Phase::kFailed: return "failed";
    case Phase::kDone: return "done";
    case Phase::kExiting: return "exiting";
  }
  return "unknown";
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
