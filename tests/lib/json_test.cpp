// SPDX-License-Identifier: MIT
// The JSON string escaper and the JSON log line (issue 15).
#include "svtree/json.hpp"

#include <gtest/gtest.h>

namespace svtree {
namespace {

std::string quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonString, PlainTextAndUtf8PassUnchanged) {
  EXPECT_EQ(quoted("web"), "\"web\"");
  EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  EXPECT_EQ(quoted(""), "\"\"");
}

TEST(JsonString, QuotesBackslashesAndControlBytesAreEscaped) {
  EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quoted("a\nb\tc\rd"), "\"a\\nb\\tc\\u000dd\"");
  EXPECT_EQ(quoted(std::string_view("\0\x1f", 2)), "\"\\u0000\\u001f\"");
}

TEST(JsonString, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(quoted("a\xff" "b"), "\"a\\ufffdb\"");
  EXPECT_EQ(quoted("\xc3"), "\"\\ufffd\"");              // truncated sequence
  EXPECT_EQ(quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");   // overlong
  EXPECT_EQ(quoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
}

TEST(JsonLogLine, HasTimeServiceStreamAndLine) {
  // 2026-11-30T20:54:13.123Z
  EXPECT_EQ(format_json_log_line(1796072053123, "web", "stdout", "hello"),
            "{\"time\":\"2026-11-30T20:54:13.123Z\",\"service\":\"web\",\"stream\":\"stdout\","
            "\"line\":\"hello\"}");
  EXPECT_EQ(format_json_log_line(0, std::nullopt, "svscan", "x", ",\"partial\":true"),
            "{\"time\":\"1970-01-01T00:00:00.000Z\",\"service\":null,\"stream\":\"svscan\","
            "\"line\":\"x\",\"partial\":true}");
}

TEST(LogFormat, ParsesItsTwoNames) {
  EXPECT_EQ(parse_log_format("plain"), LogFormat::kPlain);
  EXPECT_EQ(parse_log_format("json"), LogFormat::kJson);
  EXPECT_EQ(parse_log_format("JSON"), std::nullopt);
}

}  // namespace
}  // namespace svtree
