// SPDX-License-Identifier: MIT
// Fuzz: any `config` text parses (bad lines become warnings, never a crash), and any
// pattern/text pair is decided without reading past either string.
#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "svlog/config.hpp"
#include "svlog/pattern.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  const auto config = svtree::svlog::parse_log_config(input, "./fuzz/config", warnings);
  // Every instruction's pattern against the raw input, as lines would be.
  for (const auto& instruction : config.instructions)
    (void)svtree::svlog::pattern_matches(instruction.pattern, input);
  // And the input split in two as pattern + text.
  const size_t middle = size / 2;
  (void)svtree::svlog::pattern_matches(input.substr(0, middle), input.substr(middle));
  return 0;
}
