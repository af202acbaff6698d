// SPDX-License-Identifier: MIT
// LineCutter (issue 15): whole lines out of any cut of the bytes, long lines in pieces.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "svscan/catch_all.hpp"
#include "svscan/output_channel.hpp"

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

namespace svtree::svscan {
namespace {

// The writer's pipe gets one write per piece: at most the bound and ending at a newline,
// so that every pipe buffer ends at a newline (issue 15's splice into a piped stdout).
TEST(FirstPiece, EndsAtTheLastNewlineWithinTheBound) {
  EXPECT_EQ(first_piece("", 10), 0u);
  EXPECT_EQ(first_piece("abc\n", 10), 4u);
  EXPECT_EQ(first_piece("abc\nde\n", 8), 7u);  // all of it fits
  EXPECT_EQ(first_piece("abc\ndef\nghi\n", 10), 8u);
  EXPECT_EQ(first_piece("abc\ndef\nghi\n", 8), 8u);
  EXPECT_EQ(first_piece("abc\ndef\nghi\n", 7), 4u);
}

TEST(FirstPiece, ALineLongerThanTheBoundIsAPieceOfItsOwn) {
  EXPECT_EQ(first_piece("abcdefghij\nk\n", 4), 11u);
  EXPECT_EQ(first_piece("abcdefghij", 4), 10u);  // no newline at all: the lot
}

// A labelled piece, "LABEL+: " + text + newline, fits PIPE_BUF: written in one write, it
// lands whole in a stdout pipe that loggers share with svscan.
TEST(LabelledLineBound, EveryLabelledPieceFitsPipeBuf) {
  EXPECT_EQ(labelled_line_bound(LogFormat::kPlain, "c"), 4096u - 5);
  EXPECT_EQ(labelled_line_bound(LogFormat::kPlain, "worker@12"), 4096u - 13);
  const std::string longest_name(255, 'n');
  EXPECT_EQ(longest_name.size() + 4 + labelled_line_bound(LogFormat::kPlain, longest_name), 4096u);
  // JSON escapes make no bound exact: the common one.
  EXPECT_EQ(labelled_line_bound(LogFormat::kJson, "c"), LineCutter::kMaxLine);
}

}  // namespace
}  // namespace svtree::svscan
