// result<T>: a value or a saphan::error. Expected failures are values, not exceptions.
#pragma once

#include <utility>
#include <variant>

#include "core/error.hpp"

namespace saphan {

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(saphan::error e) : state_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const saphan::error& error() const& { return std::get<1>(state_); }
  saphan::error&& error() && { return std::get<1>(std::move(state_)); }
  errc code() const { return has_value() ? errc::internal : error().code; }

 private:
  std::variant<T, saphan::error> state_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(saphan::error e) : error_(std::move(e)), failed_(true) {}

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  const saphan::error& error() const& { return error_; }
  saphan::error&& error() && { return std::move(error_); }
  errc code() const { return error_.code; }

 private:
  saphan::error error_;
  bool failed_ = false;
};

inline result<void> ok() {
  return {};
}

}  // namespace saphan

// The value of an expression returning result<T>, or a return of its error from the enclosing
// function (which returns a result or an error): `auto doc = SAPHAN_TRY(parse_json(text));`.
// A statement expression (GCC and Clang): the value is moved out before the result is destroyed.
// Not for coroutines, which must co_return.
#define SAPHAN_TRY(...)                            \
  ({                                               \
    auto&& saphan_try_value_ = (__VA_ARGS__);      \
    if (!saphan_try_value_)                        \
      return std::move(saphan_try_value_).error(); \
    std::move(*saphan_try_value_);                 \
  })

// Propagates an error from an expression returning result<...>; binds nothing.
#define SAPHAN_TRY_VOID(expr)       \
  do {                              \
    auto saphan_try_r_ = (expr);    \
    if (!saphan_try_r_)             \
      return saphan_try_r_.error(); \
  } while (0)
