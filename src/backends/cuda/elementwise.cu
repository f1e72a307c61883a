// CUDA unary kernels (math, activations, tests, LogicalNot), Cast, ZerosLike/OnesLike and AddN,
// mirroring src/backends/reference/elementwise.cpp; the binary ones are in binary.cu. The
// reference computes in double and rounds once; here float math runs in float (within the
// suite's tolerances) except where a result must match exactly (rounding, clamping, integer
// conversion), which follows the reference's rules, x86 conversions included.
#include <algorithm>
#include <type_traits>

#include "backends/cuda/elementwise.cuh"
#include "core/schema/elementwise.h"

namespace strata::cuda {
namespace {

using ew::launch;
using ew::unsupported;
using schema::UnaryAttrs;

// ---- float32 -> float32 ----------------------------------------------------------------

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
// TF.js's softplus thresholds: log(float32 epsilon) + 2.
constexpr double kSoftplusThreshold = -13.942385152878742;

// A functor struct per op: alpha/beta are the UnaryAttrs (LeakyRelu, ClipByValue, Step).
#define FLOAT_FN(NAME, KERNEL, EXPR)                                   \
  struct NAME {                                                        \
    static constexpr const char* kKernel = KERNEL;                     \
    float alpha, beta;                                                 \
    __device__ float operator()(float x) const { return EXPR; }        \
  };

FLOAT_FN(AcosF, "Acos", acosf(x))
FLOAT_FN(AcoshF, "Acosh", acoshf(x))
FLOAT_FN(AsinF, "Asin", asinf(x))
FLOAT_FN(AsinhF, "Asinh", asinhf(x))
FLOAT_FN(AtanF, "Atan", atanf(x))
FLOAT_FN(AtanhF, "Atanh", atanhf(x))
FLOAT_FN(CeilF, "Ceil", ceilf(x))
FLOAT_FN(CosF, "Cos", cosf(x))
FLOAT_FN(CoshF, "Cosh", coshf(x))
FLOAT_FN(EluF, "Elu", x >= 0 ? x : expm1f(x))
FLOAT_FN(ErfF, "Erf", erff(x))
FLOAT_FN(ExpF, "Exp", expf(x))
FLOAT_FN(Expm1F, "Expm1", expm1f(x))
FLOAT_FN(FloorF, "Floor", floorf(x))
FLOAT_FN(LogF, "Log", logf(x))
FLOAT_FN(Log1pF, "Log1p", log1pf(x))
FLOAT_FN(ReciprocalF, "Reciprocal", 1.0f / x)
// rintf rounds half to even in the default rounding mode, as the reference's roundHalfEven.
FLOAT_FN(RoundF, "Round", rintf(x))
// 1/sqrt correctly rounded twice (rsqrtf is approximate).
FLOAT_FN(RsqrtF, "Rsqrt", 1.0f / sqrtf(x))
FLOAT_FN(SeluF, "Selu",
         x >= 0 ? static_cast<float>(kSeluScale * x)
                : static_cast<float>(kSeluScale * kSeluAlpha * static_cast<double>(expm1f(x))))
FLOAT_FN(SigmoidF, "Sigmoid", 1.0f / (1.0f + expf(-x)))
FLOAT_FN(SinF, "Sin", sinf(x))
FLOAT_FN(SinhF, "Sinh", sinhf(x))
// Thresholds compared in double, as the reference does.
FLOAT_FN(SoftplusF, "Softplus",
         static_cast<double>(x) > -kSoftplusThreshold ? x
         : static_cast<double>(x) < kSoftplusThreshold ? expf(x)
                                                       : log1pf(expf(x)))
FLOAT_FN(SqrtF, "Sqrt", sqrtf(x))
FLOAT_FN(TanF, "Tan", tanf(x))
FLOAT_FN(TanhF, "Tanh", tanhf(x))
// NaN passes through Relu6, ClipByValue and Step (as in the reference).
FLOAT_FN(Relu6F, "Relu6", x != x ? x : (x < 0 ? 0.0f : (x > 6.0f ? 6.0f : x)))
FLOAT_FN(LeakyReluF, "LeakyRelu", x < 0 ? alpha * x : x)
FLOAT_FN(ClipF, "ClipByValue", x != x ? x : (x < alpha ? alpha : (x > beta ? beta : x)))
FLOAT_FN(StepF, "Step", x != x ? x : (x > 0 ? 1.0f : alpha))
FLOAT_FN(GeluF, "Gelu", 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f)))
FLOAT_FN(GeluTanhF, "GeluTanh",
         0.5f * x * (1.0f + tanhf(0.79788456080286535588f * (x + 0.044715f * x * x * x))))
#undef FLOAT_FN

template <class Op>
void floatUnaryK(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  if (x.dtype != DType::float32 || y.dtype != DType::float32) unsupported(Op::kKernel, x);
  const UnaryAttrs* at = static_cast<const UnaryAttrs*>(c.attrs);
  launch<float, float>(Op{at ? at->alpha : 0.0f, at ? at->beta : 0.0f}, y, x);
}

// ---- float32 and int32 -----------------------------------------------------------------
// int32 results wrap as the reference's int64 -> int32 conversion does (abs/neg of INT_MIN).

#define NUMERIC_FN(NAME, KERNEL, FEXPR, IEXPR)                                               \
  struct NAME {                                                                              \
    static constexpr const char* kKernel = KERNEL;                                           \
    __device__ float operator()(float x) const { return FEXPR; }                             \
    __device__ int32_t operator()(int32_t x) const {                                         \
      const uint32_t u = static_cast<uint32_t>(x);                                           \
      (void)u;                                                                               \
      return IEXPR;                                                                          \
    }                                                                                        \
  };

NUMERIC_FN(AbsN, "Abs", x < 0 ? -x : x, x < 0 ? static_cast<int32_t>(0u - u) : x)
NUMERIC_FN(NegN, "Neg", -x, static_cast<int32_t>(0u - u))
NUMERIC_FN(SignN, "Sign", x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f), x > 0 ? 1 : (x < 0 ? -1 : 0))
NUMERIC_FN(SquareN, "Square", x * x, static_cast<int32_t>(u * u))
// NaN > 0 is false: Relu(NaN) = 0, as in the reference.
NUMERIC_FN(ReluN, "Relu", x > 0 ? x : 0.0f, x > 0 ? x : 0)
#undef NUMERIC_FN

template <class Op>
void numericUnaryK(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  if (x.dtype != y.dtype) unsupported(Op::kKernel, x);
  if (x.dtype == DType::float32)
    launch<float, float>(Op{}, y, x);
  else if (x.dtype == DType::int32)
    launch<int32_t, int32_t>(Op{}, y, x);
  else
    unsupported(Op::kKernel, x);
}

// ---- float32 -> bool, bool -> bool ---------------------------------------------------------

struct IsNanT {
  static constexpr const char* kKernel = "IsNan";
  __device__ uint8_t operator()(float x) const { return isnan(x) ? 1 : 0; }
};
struct IsInfT {
  static constexpr const char* kKernel = "IsInf";
  __device__ uint8_t operator()(float x) const { return isinf(x) ? 1 : 0; }
};
struct IsFiniteT {
  static constexpr const char* kKernel = "IsFinite";
  __device__ uint8_t operator()(float x) const { return isfinite(x) ? 1 : 0; }
};

template <class Op>
void floatTestK(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  if (x.dtype != DType::float32 || dtypeSize(y.dtype) != 1) unsupported(Op::kKernel, x);
  launch<uint8_t, float>(Op{}, y, x);
}

struct NotOp {
  __device__ uint8_t operator()(uint8_t x) const { return x ? 0 : 1; }
};
void logicalNotK(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  if (dtypeSize(x.dtype) != 1 || dtypeSize(y.dtype) != 1) unsupported("LogicalNot", x);
  launch<uint8_t, uint8_t>(NotOp{}, y, x);
}

// ---- Cast ----------------------------------------------------------------------------------

// static_cast<int32_t> of a float or double on x86 (cvtts*2si): truncation, and INT_MIN for
// NaN or a value whose truncation does not fit (CUDA's own conversion saturates instead).
__device__ __forceinline__ int32_t x86ToInt32(double x) {
  if (!(x > -2147483649.0 && x < 2147483648.0)) return INT32_MIN;
  return static_cast<int32_t>(x);
}

template <class To>
struct CastOp {
  template <class From>
  __device__ To operator()(From x) const {
    if constexpr (std::is_same_v<To, uint8_t>) {
      return x != From(0) ? 1 : 0;  // -> bool (NaN != 0, so NaN is true)
    } else if constexpr (std::is_same_v<To, int32_t> && std::is_same_v<From, float>) {
      return x86ToInt32(static_cast<double>(x));
    } else {
      return static_cast<To>(x);
    }
  }
};

template <class From>
void castFrom(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  switch (y.dtype) {
    case DType::float32: launch<float, From>(CastOp<float>{}, y, x); return;
    case DType::int32: launch<int32_t, From>(CastOp<int32_t>{}, y, x); return;
    case DType::bool_: launch<uint8_t, From>(CastOp<uint8_t>{}, y, x); return;
    default: break;
  }
  throw Error("cuda Cast: unsupported target dtype " + std::string(dtypeName(y.dtype)) + " (from " +
              std::string(dtypeName(x.dtype)) + ", shape " + shapeString(*x.shape) + ")");
}

void castK(const KernelCall& c) {
  switch (c.in(0).dtype) {
    case DType::float32: castFrom<float>(c); return;
    case DType::int32: castFrom<int32_t>(c); return;
    case DType::bool_:
    case DType::uint8: castFrom<uint8_t>(c); return;
    case DType::uint16: castFrom<uint16_t>(c); return;
    case DType::int8: castFrom<int8_t>(c); return;
    case DType::float16: break;
  }
  unsupported("Cast", c.in(0));
}

// ---- ZerosLike / OnesLike --------------------------------------------------------------------

void zerosLikeK(const KernelCall& c) {
  const TensorView& o = c.out();
  if (o.size <= 0) return;
  STRATA_CUDA_CHECK(cudaMemsetAsync(o.data, 0, static_cast<size_t>(o.size) * dtypeSize(o.dtype), stream()));
}

template <class T>
void fill(const TensorView& o, T v) {
  T* p = o.as<T>();
  forEach(o.size, [=] __device__(int64_t i) { p[i] = v; });
}

// 1 of the output's dtype.
void onesLikeK(const KernelCall& c) {
  const TensorView& o = c.out();
  switch (o.dtype) {
    case DType::float32: fill<float>(o, 1.0f); return;
    case DType::int32: fill<int32_t>(o, 1); return;
    case DType::float16: fill<uint16_t>(o, 0x3C00); return;  // 1.0 in binary16
    case DType::uint16: fill<uint16_t>(o, 1); return;
    case DType::bool_:
    case DType::uint8:
    case DType::int8: fill<uint8_t>(o, 1); return;
  }
  unsupported("OnesLike", o);
}

// ---- AddN ------------------------------------------------------------------------------------
// Sums inputs of the output's shape in order, in double for float32 (as the reference, so the
// result is the same), wrapping for int32. Up to kAddNMax inputs per launch; more go through an
// accumulator in scratch memory, keeping the order of the additions.

constexpr int kAddNMax = 16;

template <class T>
struct AddNInputs {
  const T* p[kAddNMax];
  int count;
};

template <int V, class T, class Acc>
__global__ void addNKernel(int64_t n, T* __restrict__ out, Acc* acc, AddNInputs<T> in, bool first, bool last) {
  const int64_t items = (n + V - 1) / V;
  for (int64_t v = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; v < items;
       v += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = v * V;
    if (V == 4 && base + 4 <= n) {
      Acc s[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) s[j] = first ? Acc(0) : acc[base + j];
      for (int k = 0; k < in.count; ++k) {
        const ew::Vec4<T> x = *reinterpret_cast<const ew::Vec4<T>*>(in.p[k] + base);
#pragma unroll
        for (int j = 0; j < 4; ++j) s[j] += static_cast<Acc>(x.v[j]);
      }
      if (last) {
        ew::Vec4<T> r;
#pragma unroll
        for (int j = 0; j < 4; ++j) r.v[j] = static_cast<T>(s[j]);
        *reinterpret_cast<ew::Vec4<T>*>(out + base) = r;
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[base + j] = s[j];
      }
    } else {
      for (int64_t i = base; i < n && i < base + V; ++i) {
        Acc s = first ? Acc(0) : acc[i];
        for (int k = 0; k < in.count; ++k) s += static_cast<Acc>(in.p[k][i]);
        if (last)
          out[i] = static_cast<T>(s);
        else
          acc[i] = s;
      }
    }
  }
}

template <class T, class Acc>
void addN(const KernelCall& c) {
  const TensorView& o = c.out();
  const int64_t n = o.size;
  const int count = static_cast<int>(c.inputs.size());
  if (n <= 0 || count == 0) return;
  bool aligned = reinterpret_cast<uintptr_t>(o.data) % 16 == 0;
  for (const TensorView& x : c.inputs) {
    if (x.dtype != o.dtype || x.size != n) unsupported("AddN", x);
    aligned = aligned && reinterpret_cast<uintptr_t>(x.data) % 16 == 0;
  }
  const bool chunked = count > kAddNMax;
  Scratch scratch(chunked ? static_cast<size_t>(n) * sizeof(Acc) : 0);
  for (int k0 = 0; k0 < count; k0 += kAddNMax) {
    AddNInputs<T> in{};
    in.count = std::min(kAddNMax, count - k0);
    for (int k = 0; k < in.count; ++k) in.p[k] = c.in(k0 + k).template as<const T>();
    const bool first = k0 == 0, last = k0 + kAddNMax >= count;
    if (aligned)
      addNKernel<4, T, Acc><<<blocksFor((n + 3) / 4), kThreads, 0, stream()>>>(n, o.as<T>(), scratch.as<Acc>(), in,
                                                                              first, last);
    else
      addNKernel<1, T, Acc><<<blocksFor(n), kThreads, 0, stream()>>>(n, o.as<T>(), scratch.as<Acc>(), in, first,
                                                                     last);
    STRATA_CUDA_LAUNCHED();
  }
}

void addNK(const KernelCall& c) {
  const TensorView& o = c.out();
  if (o.dtype == DType::float32)
    addN<float, double>(c);
  else if (o.dtype == DType::int32)
    addN<int32_t, uint32_t>(c);
  else
    unsupported("AddN", o);
}

const KernelEntry kTable[] = {
    {"Abs", numericUnaryK<AbsN>}, {"Acos", floatUnaryK<AcosF>}, {"Acosh", floatUnaryK<AcoshF>},
    {"Asin", floatUnaryK<AsinF>}, {"Asinh", floatUnaryK<AsinhF>}, {"Atan", floatUnaryK<AtanF>},
    {"Atanh", floatUnaryK<AtanhF>}, {"Ceil", floatUnaryK<CeilF>}, {"Cos", floatUnaryK<CosF>},
    {"Cosh", floatUnaryK<CoshF>}, {"Elu", floatUnaryK<EluF>}, {"Erf", floatUnaryK<ErfF>},
    {"Exp", floatUnaryK<ExpF>}, {"Expm1", floatUnaryK<Expm1F>}, {"Floor", floatUnaryK<FloorF>},
    {"Log", floatUnaryK<LogF>}, {"Log1p", floatUnaryK<Log1pF>}, {"Neg", numericUnaryK<NegN>},
    {"Reciprocal", floatUnaryK<ReciprocalF>}, {"Round", floatUnaryK<RoundF>}, {"Rsqrt", floatUnaryK<RsqrtF>},
    {"Selu", floatUnaryK<SeluF>}, {"Sigmoid", floatUnaryK<SigmoidF>}, {"Sign", numericUnaryK<SignN>},
    {"Sin", floatUnaryK<SinF>}, {"Sinh", floatUnaryK<SinhF>}, {"Softplus", floatUnaryK<SoftplusF>},
    {"Sqrt", floatUnaryK<SqrtF>}, {"Square", numericUnaryK<SquareN>}, {"Tan", floatUnaryK<TanF>},
    {"Tanh", floatUnaryK<TanhF>}, {"Relu", numericUnaryK<ReluN>}, {"Relu6", floatUnaryK<Relu6F>},
    {"LeakyRelu", floatUnaryK<LeakyReluF>}, {"ClipByValue", floatUnaryK<ClipF>}, {"Step", floatUnaryK<StepF>},
    {"Gelu", floatUnaryK<GeluF>}, {"GeluTanh", floatUnaryK<GeluTanhF>},
    {"IsNan", floatTestK<IsNanT>}, {"IsInf", floatTestK<IsInfT>}, {"IsFinite", floatTestK<IsFiniteT>},
    {"LogicalNot", logicalNotK}, {"Cast", castK}, {"ZerosLike", zerosLikeK}, {"OnesLike", onesLikeK},
    {"AddN", addNK},
};

}  // namespace

void registerElementwiseKernels() {
  registerKernels(kName, kTable);
  registerElementwiseBinaryKernels();
}

}  // namespace strata::cuda
