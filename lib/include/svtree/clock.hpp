// SPDX-License-Identifier: MIT
// Clock: the time source state machines ask, so tests can drive time (FakeClock in tests/).
#pragma once

#include <cstdint>

#include "svtree/tai64n.hpp"

namespace svtree {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Monotonic milliseconds: for delays, backoff and timeouts.
  [[nodiscard]] virtual int64_t monotonic_ms() const = 0;
  /// Wall clock: for stamps others read (status, logs).
  [[nodiscard]] virtual Tai64n wall() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t monotonic_ms() const override;
  [[nodiscard]] Tai64n wall() const override { return Tai64n::now(); }
};

}  // namespace svtree
