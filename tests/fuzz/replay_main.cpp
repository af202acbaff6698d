// SPDX-License-Identifier: MIT
// A main() for the fuzz targets in ordinary builds (no libFuzzer): replays the files named
// on the command line (the regression corpus), then 2000 inputs from a fixed pseudo-random
// sequence. It keeps every target compiling with the code it fuzzes, and in the ASan
// build it is a small fuzz run of its own.
#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>



int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::mt19937 random(20261122);
  std::vector<uint8_t> input;
  for (int round = 0; round < 2000; ++round) {
    input.resize(random() % 256);
    for (uint8_t& byte : input) byte = static_cast<uint8_t>(random());
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("replayed %d corpus files and 2000 generated inputs\n", argc - 1);
  return 0;
}
