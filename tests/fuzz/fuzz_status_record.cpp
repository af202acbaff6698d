// SPDX-License-Identifier: MIT
// Fuzz: any bytes in supervise/status (runsv's, daemontools', ours, or garbage) decode
// without harm, and what decodes re-encodes to a record that decodes the same.
#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "svtree/status_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto record = svtree::StatusRecord::unpack(std::span<const uint8_t>(data, size));
  if (!record) return 0;
  (void)record->stat_text(false);
  (void)record->pid_text();
  const auto bytes = record->pack();
  const auto again = svtree::StatusRecord::unpack(bytes);
  if (!again || !(*again == *record)) std::abort();
  return 0;
}
