// SPDX-License-Identifier: MIT
// The system clock.
#include "svtree/clock.hpp"

#include <ctime>

namespace svtree {

Tai64n Tai64n::now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return from_timespec(ts);
}

int64_t SystemClock::monotonic_ms() const {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace svtree
