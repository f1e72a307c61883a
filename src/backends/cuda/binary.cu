// CUDA binary kernels with broadcasting (arithmetic, comparisons, logical ops) and Select,
// mirroring the binary half of src/backends/reference/elementwise.cpp. The engine
// (elementwise.cuh) picks the fast path: same shapes or a scalar or bias-like operand with
// 16-byte accesses, else the general broadcast indexer. Integer results follow the
// reference exactly: int64 math rounded to int32 (so +, -, * wrap), floor division and modulo,
// 0 for division by zero, and the x86 conversion rules where the reference casts a double.
#include <type_traits>

#include "backends/cuda/elementwise.cuh"

namespace strata::cuda {
namespace {

using ew::launch;
using ew::unsupported;

__device__ __forceinline__ int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }
__device__ __forceinline__ uint32_t bits(int32_t v) { return static_cast<uint32_t>(v); }

// Floor division and modulo of int32 values computed in int64 (INT_MIN / -1 does not trap, it
// wraps on the way back to int32); 0 for a zero divisor.
__device__ __forceinline__ int32_t floorDivInt(int64_t a, int64_t b) {
  if (b == 0) return 0;
  const int64_t q = a / b;
  return static_cast<int32_t>((q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q);
}
__device__ __forceinline__ int32_t floorModInt(int64_t a, int64_t b) {
  if (b == 0) return 0;
  const int64_t r = a % b;
  return static_cast<int32_t>((r != 0 && ((r < 0) != (b < 0))) ? r + b : r);
}
// fmodf is exact; the sign fix-up r + b rounds once, as the reference's double sum does.
__device__ __forceinline__ float floorModFloat(float a, float b) {
  const float r = fmodf(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// static_cast<int32_t> / static_cast<int64_t> of a double on x86: truncation, and the
// "indefinite" value INT_MIN (INT64_MIN) for NaN or when the truncation does not fit.
__device__ __forceinline__ int32_t x86ToInt32(double x) {
  if (!(x > -2147483649.0 && x < 2147483648.0)) return INT32_MIN;
  return static_cast<int32_t>(x);
}
__device__ __forceinline__ int64_t x86ToInt64(double x) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(x);
}

// The reference's int32 pow: int64(pow(double x, double y)), wrapped to int32. glibc's pow is
// correctly rounded, so this is |x|^y exactly (integer arithmetic) rounded once to double, with
// the sign, then the x86 int64 conversion; |x|^y >= 2^64 converts to INT64_MIN, which wraps to 0.
__device__ __forceinline__ int32_t powInt(int32_t x, int32_t y) {
  if (y < 0) {
    if (x == 1) return 1;
    if (x == -1) return (y & 1) ? -1 : 1;
    return 0;  // |x| >= 2 truncates to 0; x == 0 gives inf, whose x86 int64 (INT64_MIN) wraps to 0
  }
  uint64_t m = 1, b = x < 0 ? 0 - static_cast<uint64_t>(static_cast<int64_t>(x)) : static_cast<uint64_t>(x);
  bool bigBase = false;  // b no longer holds |x|^(2^k) exactly
  for (int32_t e = y; e != 0; e >>= 1) {
    if (e & 1) {
      const unsigned __int128 p = static_cast<unsigned __int128>(m) * b;
      if (bigBase || (p >> 64) != 0) return 0;
      m = static_cast<uint64_t>(p);
    }
    if (e > 1) {
      const unsigned __int128 p = static_cast<unsigned __int128>(b) * b;
      bigBase = bigBase || (p >> 64) != 0;
      b = static_cast<uint64_t>(p);
    }
  }
  double r = static_cast<double>(m);  // round to nearest
  if (x < 0 && (y & 1)) r = -r;
  return wrap(static_cast<uint32_t>(static_cast<uint64_t>(x86ToInt64(r))));
}

// ---- arithmetic: float32 and int32 --------------------------------------------------------

#define ARITH(NAME, KERNEL, FEXPR, IEXPR)                                              \
  struct NAME {                                                                        \
    static constexpr const char* kKernel = KERNEL;                                     \
    __device__ float operator()(float x, float y) const { return FEXPR; }              \
    __device__ int32_t operator()(int32_t x, int32_t y) const { return IEXPR; }        \
  };

ARITH(AddOp, "Add", x + y, wrap(bits(x) + bits(y)))
ARITH(SubOp, "Sub", x - y, wrap(bits(x) - bits(y)))
ARITH(MulOp, "Multiply", x * y, wrap(bits(x) * bits(y)))
ARITH(DivOp, "RealDiv", x / y, floorDivInt(x, y))
ARITH(ModOp, "Mod", floorModFloat(x, y), floorModInt(x, y))
// double pow rounded to float: exact where the float result is an exact integer.
ARITH(PowOp, "Pow", static_cast<float>(pow(static_cast<double>(x), static_cast<double>(y))), powInt(x, y))
// NaN if either is NaN; otherwise std::max/std::min's choice.
ARITH(MaximumOp, "Maximum", (x != x || y != y) ? NAN : (x < y ? y : x), x < y ? y : x)
ARITH(MinimumOp, "Minimum", (x != x || y != y) ? NAN : (y < x ? y : x), y < x ? y : x)
ARITH(SquaredDifferenceOp, "SquaredDifference",
      static_cast<float>((static_cast<double>(x) - y) * (static_cast<double>(x) - y)),
      wrap((bits(x) - bits(y)) * (bits(x) - bits(y))))
ARITH(Atan2Op, "Atan2", static_cast<float>(atan2(static_cast<double>(x), static_cast<double>(y))),
      static_cast<int32_t>(atan2(static_cast<double>(x), static_cast<double>(y))))
ARITH(DivNoNanOp, "DivNoNan", y == 0 ? 0.0f : x / y, y == 0 ? 0 : floorDivInt(x, y))
ARITH(PreluOp, "Prelu", x < 0 ? y * x : x, x < 0 ? wrap(bits(y) * bits(x)) : x)
#undef ARITH

template <class Op>
void arithK(const KernelCall& c) {
  const TensorView &a = c.in(0), &b = c.in(1), &o = c.out();
  if (a.dtype != b.dtype || a.dtype != o.dtype) unsupported(Op::kKernel, a.dtype != o.dtype ? a : b);
  if (a.dtype == DType::float32)
    launch<float, float, float>(Op{}, o, a, b);
  else if (a.dtype == DType::int32)
    launch<int32_t, int32_t, int32_t>(Op{}, o, a, b);
  else
    unsupported(Op::kKernel, a);
}

// FloorDiv: int32 out for float32 inputs too (TF.js).
struct FloorDivOp {
  __device__ int32_t operator()(float x, float y) const {
    return x86ToInt32(floor(static_cast<double>(x) / static_cast<double>(y)));
  }
  __device__ int32_t operator()(int32_t x, int32_t y) const { return floorDivInt(x, y); }
};

void floorDivK(const KernelCall& c) {
  const TensorView &a = c.in(0), &b = c.in(1), &o = c.out();
  if (a.dtype != b.dtype || o.dtype != DType::int32) unsupported("FloorDiv", a.dtype != b.dtype ? b : o);
  if (a.dtype == DType::float32)
    launch<int32_t, float, float>(FloorDivOp{}, o, a, b);
  else if (a.dtype == DType::int32)
    launch<int32_t, int32_t, int32_t>(FloorDivOp{}, o, a, b);
  else
    unsupported("FloorDiv", a);
}

// ---- comparisons: any dtype in, bool out ----------------------------------------------------

#define COMPARE(NAME, KERNEL, EXPR)                                          \
  struct NAME {                                                              \
    static constexpr const char* kKernel = KERNEL;                           \
    template <class T>                                                       \
    __device__ uint8_t operator()(T x, T y) const { return (EXPR) ? 1 : 0; } \
  };

COMPARE(EqualOp, "Equal", x == y)
COMPARE(NotEqualOp, "NotEqual", x != y)
COMPARE(LessOp, "Less", x < y)
COMPARE(LessEqualOp, "LessEqual", x <= y)
COMPARE(GreaterOp, "Greater", x > y)
COMPARE(GreaterEqualOp, "GreaterEqual", x >= y)
#undef COMPARE

template <class Op>
void compareK(const KernelCall& c) {
  const TensorView &a = c.in(0), &b = c.in(1), &o = c.out();
  if (a.dtype != b.dtype || dtypeSize(o.dtype) != 1) unsupported(Op::kKernel, a.dtype != b.dtype ? b : o);
  dispatchDType(a.dtype, [&](auto t) {
    using T = decltype(t);
    launch<uint8_t, T, T>(Op{}, o, a, b);
  });
}

// ---- logical: bool ---------------------------------------------------------------------------

#define LOGICAL(NAME, KERNEL, EXPR)                                                       \
  struct NAME {                                                                           \
    static constexpr const char* kKernel = KERNEL;                                        \
    __device__ uint8_t operator()(uint8_t x, uint8_t y) const { return (EXPR) ? 1 : 0; }  \
  };

LOGICAL(LogicalAndOp, "LogicalAnd", x && y)
LOGICAL(LogicalOrOp, "LogicalOr", x || y)
LOGICAL(LogicalXorOp, "LogicalXor", (x != 0) != (y != 0))
#undef LOGICAL

template <class Op>
void logicalK(const KernelCall& c) {
  const TensorView &a = c.in(0), &b = c.in(1), &o = c.out();
  for (const TensorView* t : {&a, &b, &o})
    if (dtypeSize(t->dtype) != 1) unsupported(Op::kKernel, *t);
  launch<uint8_t, uint8_t, uint8_t>(Op{}, o, a, b);
}

// ---- Select(condition, a, b) -----------------------------------------------------------------

struct SelectOp {
  template <class T>
  __device__ T operator()(uint8_t cond, T x, T y) const { return cond ? x : y; }
};

// Elements are moved as raw bits of their size: any dtype.
void selectK(const KernelCall& c) {
  const TensorView &cond = c.in(0), &a = c.in(1), &b = c.in(2), &o = c.out();
  if (dtypeSize(cond.dtype) != 1) unsupported("Select", cond);
  if (a.dtype != o.dtype || b.dtype != o.dtype) unsupported("Select", a.dtype != o.dtype ? a : b);
  switch (dtypeSize(o.dtype)) {
    case 1: launch<uint8_t, uint8_t, uint8_t, uint8_t>(SelectOp{}, o, cond, a, b); return;
    case 2: launch<uint16_t, uint8_t, uint16_t, uint16_t>(SelectOp{}, o, cond, a, b); return;
    case 4: launch<uint32_t, uint8_t, uint32_t, uint32_t>(SelectOp{}, o, cond, a, b); return;
    default: unsupported("Select", o);
  }
}

const KernelEntry kTable[] = {
    {"Add", arithK<AddOp>}, {"Sub", arithK<SubOp>}, {"Multiply", arithK<MulOp>}, {"RealDiv", arithK<DivOp>},
    {"FloorDiv", floorDivK}, {"Mod", arithK<ModOp>}, {"Pow", arithK<PowOp>},
    {"Maximum", arithK<MaximumOp>}, {"Minimum", arithK<MinimumOp>},
    {"SquaredDifference", arithK<SquaredDifferenceOp>}, {"Atan2", arithK<Atan2Op>},
    {"DivNoNan", arithK<DivNoNanOp>}, {"Prelu", arithK<PreluOp>},
    {"Equal", compareK<EqualOp>}, {"NotEqual", compareK<NotEqualOp>}, {"Less", compareK<LessOp>},
    {"LessEqual", compareK<LessEqualOp>}, {"Greater", compareK<GreaterOp>},
    {"GreaterEqual", compareK<GreaterEqualOp>},
    {"LogicalAnd", logicalK<LogicalAndOp>}, {"LogicalOr", logicalK<LogicalOrOp>},
    {"LogicalXor", logicalK<LogicalXorOp>},
    {"Select", selectK},
};

}  // namespace

void registerElementwiseBinaryKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
