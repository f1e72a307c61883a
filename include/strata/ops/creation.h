// Tensor creation (TF.js `tf.tensor`, `tf.zeros`, `tf.range` ...). Created tensors live on the
// active backend. Implemented in src/ops/creation.cpp.
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include "strata/tensor.h"

namespace strata {

/// A float32 tensor from values and a shape (the shape defaults to 1-D).
/// Throws if the shape does not hold exactly values.size() elements.
Tensor tensor(std::span<const float> values, const Shape& shape = {});
Tensor tensor(std::initializer_list<float> values, const Shape& shape = {});
Tensor tensor(const std::vector<float>& values, const Shape& shape = {});
/// An int32 tensor.
Tensor tensorInt(std::span<const int32_t> values, const Shape& shape = {});
Tensor tensorInt(std::initializer_list<int32_t> values, const Shape& shape = {});
Tensor tensorInt(const std::vector<int32_t>& values, const Shape& shape = {});
/// A bool tensor (values are 0 or 1).
Tensor tensorBool(std::initializer_list<bool> values, const Shape& shape = {});
Tensor tensorBool(std::span<const uint8_t> values, const Shape& shape = {});
/// A tensor from raw little-endian bytes of `dtype`.
Tensor tensorFromBytes(std::span<const uint8_t> bytes, const Shape& shape, DType dtype);

Tensor scalar(float value);
Tensor scalar(int32_t value);
Tensor scalar(double value, DType dtype);

Tensor zeros(const Shape& shape, DType dtype = DType::float32);
Tensor ones(const Shape& shape, DType dtype = DType::float32);
Tensor fill(const Shape& shape, float value, DType dtype = DType::float32);
Tensor zerosLike(const Tensor& x);
Tensor onesLike(const Tensor& x);
/// start, start+step, ... up to but excluding stop.
Tensor range(float start, float stop, float step = 1.0f, DType dtype = DType::float32);
/// num evenly spaced values from start to stop inclusive.
Tensor linspace(float start, float stop, int num);
/// Identity matrix [numRows, numColumns] (numColumns defaults to numRows), optionally batched.
Tensor eye(int numRows, int numColumns = -1, const Shape& batchShape = {}, DType dtype = DType::float32);

}  // namespace strata
