// SPDX-License-Identifier: MIT
// svlogd-compatible pattern matching (facts from svlogd(8), checked against runit 2.1.2).
#include "pattern.hpp"

namespace svtree::svlog {

bool pattern_matches(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t s = 0;
  for (;;) {
    if (p == pattern.size()) return s == text.size();
    const char c = pattern[p++];
    if (c == '*') {
      if (p == pattern.size()) return true;
      const char next = pattern[p];
      // Skip to the first occurrence of the next pattern character; it is then matched as
      // an ordinary character. No backtracking: "*pid*" fails on "tcpsvd: ... pid".
      for (;;) {
        if (s == text.size()) return false;
        if (text[s] == next) break;
        ++s;
      }
      continue;
    }
    if (c == '+') {
      if (p == pattern.size()) return s == text.size();
      const char repeated = pattern[p++];
      if (s == text.size() || text[s] != repeated) return false;
      for (;;) {
        if (s == text.size()) return true;
        if (text[s] != repeated) break;
        ++s;
      }
      continue;
    }
    if (s == text.size() || text[s] != c) return false;
    ++s;
  }
}

}  // namespace svtree::svlog
