#include "strata/dtype.h"

#include "strata/error.h"

namespace strata {

std::string_view dtypeName(DType d) {
  switch (d) {
    case DType::float32: return "float32";
    case DType::int32: return "int32";
    case DType::bool_: return "bool";
    case DType::float16: return "float16";
    case DType::uint8: return "uint8";
    case DType::uint16: return "uint16";
    case DType::int8: return "int8";
  }
  return "?";
}

DType parseDType(std::string_view name) {
  for (DType d : {DType::float32, DType::int32, DType::bool_, DType::float16, DType::uint8, DType::uint16, DType::int8})
    if (dtypeName(d) == name) return d;
  throw Error("unknown dtype '" + std::string(name) + "' (expected float32, int32, bool, float16, uint8, uint16 or int8)");
}

size_t dtypeSize(DType d) {
  switch (d) {
    case DType::float32:
    case DType::int32: return 4;
    case DType::float16:
    case DType::uint16: return 2;
    case DType::bool_:
    case DType::uint8:
    case DType::int8: return 1;
  }
  return 0;
}

int64_t shapeSize(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shapeString(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace strata
