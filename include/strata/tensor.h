// Tensor: a cheap value handle to shared, immutable storage (TF.js semantics, C++ idioms).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "strata/dtype.h"
#include "strata/error.h"

namespace strata {

namespace detail {
struct TensorNode;
}

/// A tensor handle. Copies share one tensor: `dispose()` on any copy frees it for all, and the
/// storage is released when the last handle (or the last tensor sharing its data, such as a
/// reshape of it) goes away. Reading a disposed tensor throws DisposedError.
class Tensor {
 public:
  /// An empty handle; most operations on it throw strata::Error.
  Tensor() = default;

  /// Unique id of this tensor within the process (TF.js `tensor.id`).
  int64_t id() const;
  const Shape& shape() const;
  DType dtype() const;
  int rank() const { return static_cast<int>(shape().size()); }
  /// Number of elements.
  int64_t size() const;
  /// The backend that holds the data now ("reference", "cpu", ...).
  std::string backendName() const;

  /// Copies the data to host memory, converting each element to T (float, int32_t, uint8_t or
  /// bool). Blocks until the data is ready.
  template <class T = float>
  std::vector<T> dataSync() const;
  /// Like dataSync, but returns a future; the copy may proceed asynchronously.
  template <class T = float>
  std::future<std::vector<T>> data() const;
  /// The value of a one-element tensor.
  template <class T = float>
  T item() const;
  /// One element by index, e.g. `t.at({1, 2})` (an arraySync-like read for small tensors).
  template <class T = float>
  T at(std::initializer_list<int64_t> index) const;

  /// Nested-array text as TF.js prints it; `verbose` adds dtype, rank and shape.
  std::string toString(bool verbose = false) const;
  /// Writes toString() and a newline to standard output.
  void print(bool verbose = false) const;

  /// A new tensor with the same data (shared, not copied: storage is immutable).
  Tensor clone() const;
  /// Frees the tensor now. Later reads throw DisposedError; disposing twice is harmless.
  void dispose();
  bool isDisposed() const;
  /// True when the handle refers to a tensor (even a disposed one).
  bool defined() const { return node_ != nullptr; }
  explicit operator bool() const = delete;  // ambiguous: use defined() or isDisposed()

  /// Raw bytes in host memory (a copy); the conversion-free form of dataSync.
  std::vector<uint8_t> bytesSync() const;

  const std::shared_ptr<detail::TensorNode>& node() const { return node_; }
  explicit Tensor(std::shared_ptr<detail::TensorNode> node) : node_(std::move(node)) {}

 protected:
  std::shared_ptr<detail::TensorNode> node_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// A mutable tensor for trainable state (TF.js `tf.variable`). It is never disposed by
/// `tidy`; `assign` replaces its value in place for every handle.
class Variable : public Tensor {
 public:
  Variable() = default;
  /// Replaces the value; the new value must have the same shape and dtype.
  void assign(const Tensor& value);
  const std::string& name() const;
  bool trainable() const;
  void setTrainable(bool trainable);
  explicit Variable(std::shared_ptr<detail::TensorNode> node) : Tensor(std::move(node)) {}
};

/// Creates a variable holding `initial` (copied by reference: storage is immutable).
/// Names must be unique among live variables; an empty name picks one.
Variable variable(const Tensor& initial, bool trainable = true, const std::string& name = "",
                  DType dtype = DType::float32);

// ---- implementation of the templates ---------------------------------------------------

namespace detail {
// Reads all elements converted to `want` into `out` (size() * dtypeSize(want) bytes).
void readConverted(const Tensor& t, DType want, void* out);
/// Queues the download of t's bytes; the returned function waits for them (Tensor::data()).
std::function<std::vector<uint8_t>()> startDownload(const Tensor& t);
/// Converts n elements of raw bytes of dtype `from` into `want` (float32, int32 or bool).
void convertRaw(const std::vector<uint8_t>& raw, DType from, DType want, void* out, int64_t n);
template <class T>
constexpr DType hostDType() {
  if constexpr (std::is_same_v<T, bool>) return DType::bool_;
  else return DTypeOf<T>::value;
}
}  // namespace detail

template <class T>
std::vector<T> Tensor::dataSync() const {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, int32_t> ||
                    std::is_same_v<T, uint8_t> || std::is_same_v<T, bool>,
                "dataSync<T>: T must be float, int32_t, uint8_t or bool");
  if constexpr (std::is_same_v<T, bool>) {
    auto bytes = dataSync<uint8_t>();
    return std::vector<bool>(bytes.begin(), bytes.end());
  } else {
    std::vector<T> out(static_cast<size_t>(size()));
    detail::readConverted(*this, detail::hostDType<T>(), out.data());
    return out;
  }
}

template <class T>
std::future<std::vector<T>> Tensor::data() const {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, int32_t> || std::is_same_v<T, uint8_t>,
                "data<T>: T must be float, int32_t or uint8_t");
  // The copy is queued now (on a GPU: into pinned memory, behind an event); get() waits for it.
  std::promise<std::vector<T>> failed;
  try {
    auto pending = detail::startDownload(*this);
    const DType from = dtype();
    const int64_t n = size();
    return std::async(std::launch::deferred, [pending = std::move(pending), from, n] {
      std::vector<uint8_t> raw = pending();
      std::vector<T> out(static_cast<size_t>(n));
      detail::convertRaw(raw, from, detail::hostDType<T>(), out.data(), n);
      return out;
    });
  } catch (...) {
    failed.set_exception(std::current_exception());
  }
  return failed.get_future();
}

template <class T>
T Tensor::item() const {
  if (size() != 1)
    throw Error("item(): tensor of shape " + shapeString(shape()) + " has " +
                std::to_string(size()) + " elements, not 1");
  return dataSync<T>()[0];
}

template <class T>
T Tensor::at(std::initializer_list<int64_t> index) const {
  const Shape& s = shape();
  if (index.size() != s.size())
    throw Error("at(): index has " + std::to_string(index.size()) + " coordinates but tensor has rank " +
                std::to_string(s.size()));
  int64_t flat = 0, k = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= s[k])
      throw Error("at(): index " + std::to_string(i) + " out of range for axis " + std::to_string(k) +
                  " of shape " + shapeString(s));
    flat = flat * s[k++] + i;
  }
  return dataSync<T>()[static_cast<size_t>(flat)];
}

}  // namespace strata
