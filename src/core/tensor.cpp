// Tensor and Variable handles: reading, printing, disposing.
#include "strata/tensor.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "core/engine_state.h"

namespace strata {

using detail::engine;
using detail::TensorNode;

namespace {
const TensorNode& live(const Tensor& t, const char* what) {
  if (!t.defined()) throw Error(std::string(what) + ": empty Tensor handle");
  const TensorNode& n = *t.node();
  if (n.disposed)
    throw DisposedError(std::string(what) + ": " + detail::describe(n) + " was disposed and cannot be read");
  return n;
}
const TensorNode& nodeOf(const Tensor& t, const char* what) {
  if (!t.defined()) throw Error(std::string(what) + ": empty Tensor handle");
  return *t.node();
}
}  // namespace

int64_t Tensor::id() const { return nodeOf(*this, "id").id; }
const Shape& Tensor::shape() const { return nodeOf(*this, "shape").shape; }
DType Tensor::dtype() const { return nodeOf(*this, "dtype").dtype; }
int64_t Tensor::size() const { return nodeOf(*this, "size").size; }
bool Tensor::isDisposed() const { return node_ && node_->disposed; }

std::string Tensor::backendName() const { return live(*this, "backendName").storage->owner->name; }

std::vector<uint8_t> Tensor::bytesSync() const {
  const TensorNode& n = live(*this, "dataSync");
  std::vector<uint8_t> out(n.storage->bytes);
  if (!out.empty()) n.storage->owner->instance->download(out.data(), n.storage->ptr, out.size());
  return out;
}

namespace detail {
namespace {
template <class Dst, class Src>
void convertAll(const Src* src, Dst* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<Dst, uint8_t>) dst[i] = src[i] != Src(0);
    else dst[i] = static_cast<Dst>(src[i]);
  }
}
template <class Dst>
void convertFrom(DType from, const void* src, Dst* dst, int64_t n) {
  switch (from) {
    case DType::float32: convertAll(static_cast<const float*>(src), dst, n); break;
    case DType::int32: convertAll(static_cast<const int32_t*>(src), dst, n); break;
    case DType::bool_:
    case DType::uint8: convertAll(static_cast<const uint8_t*>(src), dst, n); break;
    case DType::uint16: convertAll(static_cast<const uint16_t*>(src), dst, n); break;
    case DType::int8: convertAll(static_cast<const int8_t*>(src), dst, n); break;
    case DType::float16: throw Error("dataSync: float16 tensors must be cast to float32 first");
  }
}
}  // namespace

void convertRaw(const std::vector<uint8_t>& raw, DType from, DType want, void* out, int64_t n) {
  if (from == want) {
    if (!raw.empty()) std::memcpy(out, raw.data(), raw.size());
    return;
  }
  switch (want) {
    case DType::float32: convertFrom(from, raw.data(), static_cast<float*>(out), n); break;
    case DType::int32: convertFrom(from, raw.data(), static_cast<int32_t*>(out), n); break;
    case DType::bool_: convertFrom(from, raw.data(), static_cast<uint8_t*>(out), n); break;
    default: throw Error("dataSync: cannot convert to " + std::string(dtypeName(want)));
  }
}

void readConverted(const Tensor& t, DType want, void* out) {
  const TensorNode& n = live(t, "dataSync");
  if (n.dtype == want) {
    if (n.storage->bytes) n.storage->owner->instance->download(out, n.storage->ptr, n.storage->bytes);
    return;
  }
  convertRaw(t.bytesSync(), n.dtype, want, out, n.size);
}

std::function<std::vector<uint8_t>()> startDownload(const Tensor& t) {
  const TensorNode& n = live(t, "data");
  // The storage is held until the copy is read, even if the tensor is disposed meanwhile.
  std::shared_ptr<Storage> storage = n.storage;
  auto raw = std::make_shared<std::vector<uint8_t>>(storage->bytes);
  std::function<void()> wait = [] {};
  if (storage->bytes) wait = storage->owner->instance->downloadAsync(raw->data(), storage->ptr, storage->bytes);
  return [storage, raw, wait = std::move(wait)] {
    wait();
    return std::move(*raw);
  };
}
}  // namespace detail

namespace {
// TF.js-style nested printing, eliding the middle of long axes.
void formatValue(std::ostringstream& os, DType d, const std::vector<float>& f, const std::vector<int32_t>& i,
                 int64_t k) {
  if (d == DType::float32) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", f[k]);
    os << buf;
  } else if (d == DType::bool_) {
    os << (i[k] ? "true" : "false");
  } else {
    os << i[k];
  }
}
void formatAxis(std::ostringstream& os, const Tensor& t, const std::vector<float>& f,
                const std::vector<int32_t>& iv, size_t axis, int64_t offset, int indent) {
  const Shape& s = t.shape();
  if (axis == s.size()) {
    formatValue(os, t.dtype(), f, iv, offset);
    return;
  }
  int64_t stride = 1;
  for (size_t a = axis + 1; a < s.size(); ++a) stride *= s[a];
  os << "[";
  const int64_t n = s[axis], kEdge = 3;
  for (int64_t j = 0; j < n; ++j) {
    if (n > 2 * kEdge && j == kEdge) {
      os << "...";
      j = n - kEdge - 1;
      os << (axis + 1 == s.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
      continue;
    }
    formatAxis(os, t, f, iv, axis + 1, offset + j * stride, indent + 1);
    if (j + 1 < n) os << (axis + 1 == s.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << "]";
}
}  // namespace

std::string Tensor::toString(bool verbose) const {
  if (!defined()) return "Tensor(empty)";
  if (isDisposed()) return "Tensor(" + detail::describe(*node_) + ", disposed)";
  std::ostringstream os;
  os << "Tensor\n";
  if (verbose)
    os << "  dtype: " << dtypeName(dtype()) << "\n  rank: " << rank() << "\n  shape: " << shapeString(shape())
       << "\n  values:\n";
  std::vector<float> f;
  std::vector<int32_t> iv;
  if (dtype() == DType::float32) f = dataSync<float>();
  else iv = dataSync<int32_t>();
  os << "    ";
  formatAxis(os, *this, f, iv, 0, 0, 4);
  return os.str();
}

void Tensor::print(bool verbose) const { std::cout << toString(verbose) << std::endl; }

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.toString(); }

void Tensor::dispose() {
  if (!node_ || node_->disposed) return;
  node_->disposed = true;
  node_->storage.reset();
  engine().numTensors--;
  if (node_->isVariable) engine().variables.erase(node_->name);
}

// ---- variables --------------------------------------------------------------------------

Variable variable(const Tensor& initial, bool trainable, const std::string& name, DType dtype) {
  detail::checkUsable(initial, "variable", 0);
  auto& e = engine();
  std::string n = name.empty() ? "Variable_" + std::to_string(e.nextVariableId++) : name;
  if (e.variables.count(n))
    throw Error("variable: a variable named '" + n + "' already exists");
  if (initial.dtype() != dtype)
    throw Error("variable '" + n + "': initial value is " + std::string(dtypeName(initial.dtype())) +
                " but the variable's dtype is " + std::string(dtypeName(dtype)));
  auto node = detail::newNode(initial.shape(), dtype, initial.node()->storage, /*track=*/false);
  node->isVariable = true;
  node->trainable = trainable;
  node->name = n;
  e.variables[n] = node;
  return Variable(node);
}

void Variable::assign(const Tensor& value) {
  TensorNode& n = const_cast<TensorNode&>(live(*this, "assign"));
  detail::checkUsable(value, "assign", 0);
  if (value.shape() != n.shape || value.dtype() != n.dtype)
    throw Error("assign to variable '" + n.name + "': value has shape " + shapeString(value.shape()) + " and dtype " +
                std::string(dtypeName(value.dtype())) + ", the variable " + shapeString(n.shape) + " and " +
                std::string(dtypeName(n.dtype)));
  n.storage = value.node()->storage;
}

const std::string& Variable::name() const { return nodeOf(*this, "name").name; }
bool Variable::trainable() const { return nodeOf(*this, "trainable").trainable; }
void Variable::setTrainable(bool t) { const_cast<TensorNode&>(nodeOf(*this, "setTrainable")).trainable = t; }

}  // namespace strata
