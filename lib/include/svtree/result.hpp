// SPDX-License-Identifier: MIT
// Result<T>: a value or the system error that prevented it; no exceptions leave lib/.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace svtree {

/// A failed system call: errno plus what was being attempted ("open supervise/control").
struct SysError {
  int code = 0;
  std::string context;

  /// "unable to <context>: <strerror(code)>", the shape every diagnostic uses.
  [[nodiscard]] std::string message() const;
};

/// Builds a SysError from the current errno.
[[nodiscard]] SysError errno_error(std::string context);

/// Value or SysError. Swap for std::expected when C++23 is allowed.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(SysError error) : state_(std::move(error)) {}   // NOLINT: implicit by design

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T& value() const& { return std::get<0>(state_); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const SysError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, SysError> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(SysError error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit
  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const SysError& error() const { return error_; }

 private:
  SysError error_;
  bool ok_ = true;
};

}  // namespace svtree
