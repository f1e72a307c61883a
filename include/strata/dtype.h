// Element types and shapes: the vocabulary every other header uses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// Element type of a tensor. float32, int32 and bool are the compute types (as in TF.js);
/// float16, uint8 and uint16 exist for quantized weight storage.
/// int8 holds quantized weights and activations of int8-compute models (strata/optimize/quantize.h).
enum class DType : uint8_t { float32, int32, bool_, float16, uint8, uint16, int8 };

/// A shape: one extent per axis, outermost first (row-major, NHWC for images).
using Shape = std::vector<int64_t>;

/// TF.js spelling: "float32", "int32", "bool", "float16", "uint8", "uint16" (and "int8").
std::string_view dtypeName(DType d);
/// Parses a TF.js dtype name; throws strata::Error naming the string otherwise.
DType parseDType(std::string_view name);
/// Bytes per element (bool is stored as one byte).
size_t dtypeSize(DType d);

/// Number of elements of a shape (1 for a scalar).
int64_t shapeSize(const Shape& s);
/// "[2,3,4]"
std::string shapeString(const Shape& s);

/// The C++ type stored for each dtype, and back.
template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::float32; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::int32; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::bool_; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::bool_; };

}  // namespace strata
