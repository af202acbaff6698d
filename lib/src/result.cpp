// SPDX-License-Identifier: MIT
// SysError's text: the one shape of every "unable to" message. Pure.
#include "svtree/result.hpp"

#include <cerrno>
#include <cstring>

namespace svtree {

std::string SysError::message() const {
  std::string text = "unable to ";
  text += context;
  text += ": ";
  text += std::strerror(code);
  return text;
}

SysError errno_error(std::string context) { return SysError{errno, std::move(context)}; }

}  // namespace svtree
