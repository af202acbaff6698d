// SPDX-License-Identifier: MIT
// Fuzz: the text of knob files (numbers, signal names), envdir values and TAI64N labels.
#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "svtree/control.hpp"
#include "svtree/envdir.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/signal_name.hpp"
#include "svtree/tai64n.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto ms = svtree::parse_milliseconds(text)) (void)*ms;
  if (const auto signo = svtree::parse_signal(text)) {
    if (*signo < 1 || *signo > 64) std::abort();
    (void)svtree::signal_name(*signo);
  }
  if (const auto value = svtree::decode_envdir_value(text)) {
    if (value->find('\0') != std::string::npos) std::abort();
  }
  if (const auto stamp = svtree::Tai64n::parse_label(text)) {
    const auto back = svtree::Tai64n::parse_label(stamp->label());
    if (!back || !(*back == *stamp)) std::abort();
  }
  for (const char byte : text) {
    if (const auto command = svtree::parse_control_byte(byte)) {
      if (svtree::control_byte(*command) != byte) std::abort();
    }
  }
  return 0;
}
