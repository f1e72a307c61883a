// Exceptions thrown by Strata. Every message names what the user wrote: the op, the shapes,
// the backend, the file.
#pragma once

#include <stdexcept>
#include <string>

namespace strata {

/// Base of every Strata exception.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// A disposed tensor was read or used as an op input.
class DisposedError : public Error {
 public:
  using Error::Error;
};

/// A backend could not allocate the requested memory.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

}  // namespace strata
