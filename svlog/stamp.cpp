// SPDX-License-Identifier: MIT
// Stamp formatting: svlogd's fmt_ptime prints 9 nanosecond digits and keeps the first 5.
#include "stamp.hpp"

#include "svtree/tai64n.hpp"

namespace svtree::svlog {
namespace {

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string_view Stamper::format(const timespec& time) {
  switch (mode_) {
    case StampMode::kNone:
      return {};
    case StampMode::kTai64n:
      format_tai64n_label(Tai64n::from_timespec(time), text_);
      text_[25] = ' ';
      size_ = 26;
      break;
    case StampMode::kUtc:
    case StampMode::kIso8601:
      if (time.tv_sec != cached_second_) {
        tm broken{};
        ::gmtime_r(&time.tv_sec, &broken);
        put_digits(text_, static_cast<unsigned>(broken.tm_year + 1900), 4);
        text_[4] = '-';
        put_digits(text_ + 5, static_cast<unsigned>(broken.tm_mon + 1), 2);
        text_[7] = '-';
        put_digits(text_ + 8, static_cast<unsigned>(broken.tm_mday), 2);
        text_[10] = mode_ == StampMode::kUtc ? '_' : 'T';
        put_digits(text_ + 11, static_cast<unsigned>(broken.tm_hour), 2);
        text_[13] = ':';
        put_digits(text_ + 14, static_cast<unsigned>(broken.tm_min), 2);
        text_[16] = ':';
        put_digits(text_ + 17, static_cast<unsigned>(broken.tm_sec), 2);
        text_[19] = '.';
        text_[25] = ' ';
        size_ = 26;
        cached_second_ = time.tv_sec;
      }
      // Truncated, not rounded: svlogd keeps the first 5 of 9 nanosecond digits.
      put_digits(text_ + 20, static_cast<unsigned>(time.tv_nsec / 10000), 5);
      break;
  }
  return {text_, size_};
}

std::string_view Stamper::now() {
  if (mode_ == StampMode::kNone) return {};
  timespec time{};
  ::clock_gettime(CLOCK_REALTIME, &time);
  return format(time);
}

}  // namespace svtree::svlog
