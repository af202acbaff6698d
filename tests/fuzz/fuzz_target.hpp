// SPDX-License-Identifier: MIT
// The one entry point every fuzz target defines: called by libFuzzer, or by replay_main.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
