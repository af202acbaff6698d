// SPDX-License-Identifier: MIT
// LineCutter (issue 15): whole lines out of any cut of the bytes, long lines in pieces.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "svscan/catch_all.hpp"

namespace svtree::svscan {
namespace {

struct Piece {
  std::string text;
  bool continued;
  bool operator==(const Piece&) const = default;
};

std::vector<Piece> cut(LineCutter& cutter, const std::vector<std::string>& chunks,
                       bool finish = false) {
  std::vector<Piece> out;
  const auto emit = [&](std::string_view line, bool continued) {
    out.push_back({std::string(line), continued});
  };
  for (const std::string& chunk : chunks) cutter.feed(chunk, emit);
  if (finish) cutter.finish(emit);
  return out;
}

TEST(LineCutter, LinesCutAnywhereComeOutWhole) {
  LineCutter cutter;
  EXPECT_EQ(cut(cutter, {"he", "llo\nwor", "ld\n", "\nx"}),
            (std::vector<Piece>{{"hello", false}, {"world", false}, {"", false}}));
  EXPECT_EQ(cutter.pending(), 1u);
  EXPECT_EQ(cut(cutter, {}, true), (std::vector<Piece>{{"x", false}}));
  EXPECT_EQ(cutter.pending(), 0u);
}

TEST(LineCutter, LongLinesGoOutInPiecesOfTheBound) {
  LineCutter cutter(4);
  EXPECT_EQ(cut(cutter, {"abcdefghij\n"}),
            (std::vector<Piece>{{"abcd", true}, {"efgh", true}, {"ij", false}}));
  // Exactly the bound, then the newline in the next chunk: one whole line, no empty piece.
  EXPECT_EQ(cut(cutter, {"abcd", "\n"}), (std::vector<Piece>{{"abcd", false}}));
  EXPECT_EQ(cut(cutter, {"ab", "cdef\n"}),
            (std::vector<Piece>{{"abcd", true}, {"ef", false}}));
}

}  // namespace
}  // namespace svtree::svscan
