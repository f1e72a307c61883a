// applyFusedEpilogue (epilogue.cuh): one in-place pass y <- activation(y + bias) over the output
// of a fused product. Bias and PReLU weights are usually a scalar or one value per channel (the
// last axis): those run as float4 passes; anything else goes through the broadcasting indexer.
#include "backends/cuda/epilogue.cuh"
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
namespace {

// How an optional operand (bias, PReLU weights) broadcasts against the output.
enum Mode : int { kNone, kScalar, kChannel, kGeneral };

struct Operand {
  const float* p = nullptr;
  int mode = kNone;
};

Operand operandOf(const TensorView* t, const Shape& out) {
  if (!t) return {};
  const float* p = t->as<float>();
  if (t->size == 1) return {p, kScalar};
  // One value per channel: [C] or [1, ..., 1, C] against an output whose last axis is C.
  if (!out.empty() && !t->shape->empty() && t->shape->back() == out.back() && t->size == out.back()) return {p, kChannel};
  return {p, kGeneral};
}

template <Activation A>
__device__ __forceinline__ float activate(float z, float alpha, float w) {
  if constexpr (A == Activation::relu) return z < 0.f ? 0.f : z;
  if constexpr (A == Activation::relu6) return z < 0.f ? 0.f : (z > 6.f ? 6.f : z);
  if constexpr (A == Activation::elu) return z >= 0.f ? z : expm1f(z);
  if constexpr (A == Activation::leakyrelu) return z < 0.f ? alpha * z : z;
  if constexpr (A == Activation::prelu) return z < 0.f ? w * z : z;
  if constexpr (A == Activation::sigmoid) return 1.f / (1.f + expf(-z));
  return z;  // linear (NaN passes through every branch above as the reference's does)
}

__device__ __forceinline__ float valueAt(const Operand& o, int64_t ch) {
  return o.mode == kChannel ? o.p[ch] : (o.mode == kScalar ? o.p[0] : 0.f);
}
__device__ __forceinline__ float4 value4At(const Operand& o, int64_t ch) {
  if (o.mode == kChannel) return *reinterpret_cast<const float4*>(o.p + ch);
  const float v = o.mode == kScalar ? o.p[0] : 0.f;
  return make_float4(v, v, v, v);
}

template <Activation A>
__device__ __forceinline__ float apply(float z, const Operand& bias, float b, float alpha, float w) {
  return activate<A>(bias.mode != kNone ? z + b : z, alpha, w);
}

// Scalar or per-channel operands; `vec`: n % 4 == 0, C % 4 == 0 where a channel operand is
// read, every pointer 16-byte aligned.
template <Activation A>
void runFast(float* y, int64_t n, int64_t C, Operand bias, Operand w, float alpha, bool vec) {
  if (vec) {
    float4* y4 = reinterpret_cast<float4*>(y);
    forEach(n / 4, [=] __device__(int64_t i) {
      const int64_t ch = (i * 4) % C;
      const float4 b = value4At(bias, ch), pw = value4At(w, ch);
      float4 v = y4[i];
      v.x = apply<A>(v.x, bias, b.x, alpha, pw.x);
      v.y = apply<A>(v.y, bias, b.y, alpha, pw.y);
      v.z = apply<A>(v.z, bias, b.z, alpha, pw.z);
      v.w = apply<A>(v.w, bias, b.w, alpha, pw.w);
      y4[i] = v;
    });
    return;
  }
  forEach(n, [=] __device__(int64_t i) {
    const int64_t ch = i % C;
    y[i] = apply<A>(y[i], bias, valueAt(bias, ch), alpha, valueAt(w, ch));
  });
}

// Any NumPy broadcast of the operands against the output.
template <Activation A>
void runGeneral(float* y, int64_t n, Operand bias, Operand w, float alpha, const Indexer<2>& ix) {
  forEach(n, [=] __device__(int64_t i) {
    int64_t o[2];
    ix.offsets(i, o);
    const float b = bias.p ? bias.p[o[0]] : 0.f;
    const float pw = w.p ? w.p[o[1]] : 0.f;
    y[i] = apply<A>(y[i], bias, b, alpha, pw);
  });
}

template <Activation A>
void run(float* y, const Shape& outShape, const TensorView* biasT, const TensorView* wT, float alpha) {
  const int64_t n = shapeSize(outShape);
  const int64_t C = outShape.empty() ? 1 : std::max<int64_t>(outShape.back(), 1);
  Operand bias = operandOf(biasT, outShape), w = operandOf(wT, outShape);
  if (bias.mode == kGeneral || w.mode == kGeneral) {
    const Shape none;
    const Shape* shapes[2] = {biasT ? biasT->shape : &none, wT ? wT->shape : &none};
    const Indexer<2> ix = broadcastIndexer<2>(outShape, {shapes[0], shapes[1]});
    runGeneral<A>(y, n, bias, w, alpha, ix);
    return;
  }
  auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  auto channelOk = [&](const Operand& o) { return o.mode != kChannel || (C % 4 == 0 && aligned(o.p)); };
  const bool vec = n % 4 == 0 && aligned(y) && channelOk(bias) && channelOk(w);
  runFast<A>(y, n, C, bias, w, alpha, vec);
}

}  // namespace

void applyFusedEpilogue(const KernelCall& c, const schema::FusedActivationAttrs& a, float* y, const Shape& outShape, size_t firstOptional) {
  size_t next = firstOptional;
  const TensorView* bias = a.hasBias ? &c.in(next++) : nullptr;
  const TensorView* w = a.hasPreluWeights ? &c.in(next++) : nullptr;
  if (shapeSize(outShape) == 0) return;
  if (a.activation == Activation::linear && !bias) return;  // nothing to do
  const float alpha = a.leakyreluAlpha;
  switch (a.activation) {
    case Activation::linear: return run<Activation::linear>(y, outShape, bias, w, alpha);
    case Activation::relu: return run<Activation::relu>(y, outShape, bias, w, alpha);
    case Activation::relu6: return run<Activation::relu6>(y, outShape, bias, w, alpha);
    case Activation::elu: return run<Activation::elu>(y, outShape, bias, w, alpha);
    case Activation::leakyrelu: return run<Activation::leakyrelu>(y, outShape, bias, w, alpha);
    case Activation::prelu: return run<Activation::prelu>(y, outShape, bias, w, alpha);
    case Activation::sigmoid: return run<Activation::sigmoid>(y, outShape, bias, w, alpha);
  }
  throw Error("cuda: fused epilogue: unknown activation " + std::to_string(static_cast<int>(a.activation)));
}

}  // namespace strata::cuda
