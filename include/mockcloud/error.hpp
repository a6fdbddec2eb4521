// Typed errors of the library: every failing call returns a mockcloud::Error whose kind says
// what went wrong (not found, conflict, invalid input with field paths, ...). The HTTP server maps
// kinds to statuses (404, 409, 422); an embedding user branches on the kind or on the error code.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mockcloud {

enum class ErrorKind {
  not_found = 1,  // a resource named by the caller does not exist
  conflict,       // the state forbids it: duplicate name, in use, not running, ...
  invalid,        // the input breaks a rule; `fields` says which and why
  not_settled,    // waiting on an operation that a virtual clock has not completed yet
  cancelled,      // waiting on an operation whose manager was reset or destroyed meanwhile
};

/// The std::error_category of ErrorKind, so errors compose with std::error_code.
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(ErrorKind k) noexcept {
  return {static_cast<int>(k), error_category()};
}

/// One element of a field path: a member name or an array index (`["rules", 0, "protocol"]`).
using PathElement = std::variant<std::string, std::size_t>;

/// One invalid input. `type` and `msg` follow pydantic's vocabulary (`missing`, `int_type`,
/// `greater_than_equal`, ...), so that the server's 422 bodies read like FastAPI's.
struct FieldError {
  std::vector<PathElement> loc;
  std::string msg;
  std::string type;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

struct Error {
  ErrorKind kind{ErrorKind::invalid};
  std::string message;
  std::vector<FieldError> fields;  // non-empty for ErrorKind::invalid

  std::error_code code() const noexcept { return make_error_code(kind); }

  static Error not_found(std::string msg) { return {ErrorKind::not_found, std::move(msg), {}}; }
  static Error conflict(std::string msg) { return {ErrorKind::conflict, std::move(msg), {}}; }
  static Error cancelled(std::string msg) { return {ErrorKind::cancelled, std::move(msg), {}}; }
  static Error invalid(std::vector<FieldError> f) {
    std::string msg = f.empty() ? "invalid input" : f.front().msg;
    return {ErrorKind::invalid, std::move(msg), std::move(f)};
  }
};

/// Thrown by Result::value() on an error, and by Operation::wait() under a virtual clock.
class Exception : public std::runtime_error {
 public:
  explicit Exception(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const noexcept { return error_; }
  ErrorKind kind() const noexcept { return error_.kind; }

 private:
  Error error_;
};

/// A value or an Error. `value()` throws mockcloud::Exception on an error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// Precondition: !has_value().
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const {
    if (v_.index() != 0) throw Exception(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
struct Ok {};

}  // namespace mockcloud

template <>
struct std::is_error_code_enum<mockcloud::ErrorKind> : std::true_type {};
