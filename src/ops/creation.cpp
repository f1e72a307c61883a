// Tensor creation. Values are produced on the host and uploaded to the active backend once.
#include "strata/ops/creation.h"

#include <cmath>

#include "ops/op_util.h"

namespace strata {

namespace {

Shape resolveShape(const Shape& shape, size_t count, const char* op) {
  Shape s = shape.empty() ? Shape{static_cast<int64_t>(count)} : shape;
  for (int64_t d : s)
    if (d < 0) throw Error(std::string(op) + ": shape " + shapeString(s) + " has a negative dimension");
  if (static_cast<size_t>(shapeSize(s)) != count)
    throw Error(std::string(op) + ": shape " + shapeString(s) + " holds " + std::to_string(shapeSize(s)) +
                " values but " + std::to_string(count) + " were given");
  return s;
}

void checkShape(const Shape& s, const char* op) {
  for (int64_t d : s)
    if (d < 0) throw Error(std::string(op) + ": shape " + shapeString(s) + " has a negative dimension");
}

// Fills a host buffer of `dtype` with `value` converted, then uploads it.
Tensor filled(const Shape& shape, double value, DType dtype, const char* op) {
  checkShape(shape, op);
  size_t n = static_cast<size_t>(shapeSize(shape));
  switch (dtype) {
    case DType::float32: {
      std::vector<float> v(n, static_cast<float>(value));
      return detail::fromHost(v.data(), shape, dtype);
    }
    case DType::int32: {
      std::vector<int32_t> v(n, static_cast<int32_t>(value));
      return detail::fromHost(v.data(), shape, dtype);
    }
    case DType::bool_: {
      std::vector<uint8_t> v(n, value != 0 ? 1 : 0);
      return detail::fromHost(v.data(), shape, dtype);
    }
    default: throw Error(std::string(op) + ": unsupported dtype " + std::string(dtypeName(dtype)));
  }
}

template <class T>
Tensor fromValues(const std::vector<T>& v, const Shape& shape, DType dtype) {
  if (dtype == DType::float32) {
    std::vector<float> f(v.begin(), v.end());
    return detail::fromHost(f.data(), shape, dtype);
  }
  std::vector<int32_t> i(v.begin(), v.end());
  return detail::fromHost(i.data(), shape, dtype);
}

}  // namespace

Tensor tensor(std::span<const float> values, const Shape& shape) {
  return detail::fromHost(values.data(), resolveShape(shape, values.size(), "tensor"), DType::float32);
}
Tensor tensor(std::initializer_list<float> values, const Shape& shape) {
  return tensor(std::span<const float>(values.begin(), values.size()), shape);
}
Tensor tensor(const std::vector<float>& values, const Shape& shape) {
  return tensor(std::span<const float>(values), shape);
}
Tensor tensorInt(std::span<const int32_t> values, const Shape& shape) {
  return detail::fromHost(values.data(), resolveShape(shape, values.size(), "tensorInt"), DType::int32);
}
Tensor tensorInt(std::initializer_list<int32_t> values, const Shape& shape) {
  return tensorInt(std::span<const int32_t>(values.begin(), values.size()), shape);
}
Tensor tensorInt(const std::vector<int32_t>& values, const Shape& shape) {
  return tensorInt(std::span<const int32_t>(values), shape);
}
Tensor tensorBool(std::initializer_list<bool> values, const Shape& shape) {
  std::vector<uint8_t> b(values.begin(), values.end());
  return tensorBool(std::span<const uint8_t>(b), shape);
}
Tensor tensorBool(std::span<const uint8_t> values, const Shape& shape) {
  std::vector<uint8_t> b(values.size());
  for (size_t i = 0; i < b.size(); ++i) b[i] = values[i] ? 1 : 0;
  return detail::fromHost(b.data(), resolveShape(shape, values.size(), "tensorBool"), DType::bool_);
}
Tensor tensorFromBytes(std::span<const uint8_t> bytes, const Shape& shape, DType dtype) {
  checkShape(shape, "tensorFromBytes");
  size_t want = static_cast<size_t>(shapeSize(shape)) * dtypeSize(dtype);
  if (bytes.size() != want)
    throw Error("tensorFromBytes: shape " + shapeString(shape) + " of " + std::string(dtypeName(dtype)) + " needs " +
                std::to_string(want) + " bytes, got " + std::to_string(bytes.size()));
  return detail::fromHost(bytes.data(), shape, dtype);
}

Tensor scalar(float value) { return detail::fromHost(&value, {}, DType::float32); }
Tensor scalar(int32_t value) { return detail::fromHost(&value, {}, DType::int32); }
Tensor scalar(double value, DType dtype) { return filled({}, value, dtype, "scalar"); }

Tensor zeros(const Shape& shape, DType dtype) { return filled(shape, 0, dtype, "zeros"); }
Tensor ones(const Shape& shape, DType dtype) { return filled(shape, 1, dtype, "ones"); }
Tensor fill(const Shape& shape, float value, DType dtype) { return filled(shape, value, dtype, "fill"); }
// Kernels (not host fills) so that the result is created on the device and, as in TF.js, the
// op has a (zero) gradient.
Tensor zerosLike(const Tensor& x) {
  detail::checkUsable(x, "zerosLike", 0);
  return detail::run1(kernelId("ZerosLike"), {x}, x.shape(), x.dtype());
}
Tensor onesLike(const Tensor& x) {
  detail::checkUsable(x, "onesLike", 0);
  return detail::run1(kernelId("OnesLike"), {x}, x.shape(), x.dtype());
}

namespace {
std::vector<Tensor> zeroGrad(const detail::GradArgs& g) {
  return {g.x().dtype() == DType::float32 ? zeros(g.x().shape()) : Tensor()};
}
detail::GradientRegistrar registrar{{"ZerosLike", zeroGrad}, {"OnesLike", zeroGrad}};
}  // namespace

Tensor range(float start, float stop, float step, DType dtype) {
  if (step == 0) throw Error("range: step must not be 0");
  if ((step > 0 && start > stop) || (step < 0 && start < stop)) return zeros({0}, dtype);
  int64_t n = static_cast<int64_t>(std::ceil(std::abs((stop - start) / step)));
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i) * step;
  return fromValues(v, {n}, dtype);
}

Tensor linspace(float start, float stop, int num) {
  if (num <= 0) throw Error("linspace: num must be positive, got " + std::to_string(num));
  std::vector<float> v(static_cast<size_t>(num));
  double stepSize = num > 1 ? (static_cast<double>(stop) - start) / (num - 1) : 0;
  for (int i = 0; i < num; ++i) v[i] = static_cast<float>(start + i * stepSize);
  return tensor(v, {num});
}

Tensor eye(int numRows, int numColumns, const Shape& batchShape, DType dtype) {
  if (numColumns < 0) numColumns = numRows;
  if (numRows < 0) throw Error("eye: numRows must be non-negative, got " + std::to_string(numRows));
  Shape shape = batchShape;
  shape.push_back(numRows);
  shape.push_back(numColumns);
  int64_t batch = shapeSize(batchShape);
  std::vector<double> v(static_cast<size_t>(shapeSize(shape)), 0.0);
  for (int64_t b = 0; b < batch; ++b)
    for (int i = 0; i < std::min(numRows, numColumns); ++i) v[(b * numRows + i) * numColumns + i] = 1.0;
  return fromValues(v, shape, dtype);
}

}  // namespace strata
