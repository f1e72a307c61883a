// cpu kernels of the quantized ops. QuantizedConv2D / QuantizedDepthwiseConv2D / QuantizedMatMul
// run on oneDNN's int8 primitives: u8 source (a float32 input is quantized first, into a
// per-thread buffer; its zero point is oneDNN's source zero point),
// s8 weights, s32 accumulation, and the requantization as primitive attributes: per-channel
// output scales (inputScale * filterScale[c], over outputScale for a u8 output), the bias
// divided by that product (oneDNN 2.x adds the bias before scaling), ReLU/ReLU6 as an eltwise
// post-op, the destination zero point. Quantize / Dequantize are OpenMP loops.
//
// oneDNN 2.x's output scales must be known when the primitive is made, so primitives are cached
// by geometry and by the storage ids of the scales and bias (storages are immutable and ids are
// never reused, so a cached primitive never outlives its data's meaning).
//
// Exactness: without VNNI, oneDNN multiplies u8 by s8 with vpmaddubsw, which saturates a pair
// sum at 16 bits unless |weight| <= 64 (7-bit weights, as strata::quantizeInt8 makes them by
// default). Other weights run the reference kernel on such machines (depthwise is exact always).
#ifdef STRATA_CPU_BACKEND

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "backends/cpu/common.h"
#include "core/schema/quantized.h"

namespace strata::cpu {
namespace {

using dnnl::memory;
using schema::QuantizedEpilogueAttrs;
using tag = memory::format_tag;
using dt = memory::data_type;

constexpr int64_t kParallelMin = 1 << 14;

// ---- Quantize / Dequantize ----------------------------------------------------------------

// Same results as the reference kernel: x / scale, NaN -> 0, clamped to the output range
// (integer bounds, so clamping before rounding changes nothing), rounded half to even by the
// 1.5 * 2^23 trick (exact for |v| <= 2^22 in the default rounding mode). Written with plain
// selects so that it vectorizes.
template <class Q>
void quantizeRange(const float* __restrict x, Q* __restrict q, int64_t n, float scale, int zp, float lo, float hi) {
  constexpr float kMagic = 12582912.f;
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] / scale;
    v = v == v ? v : 0.f;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    q[i] = static_cast<Q>(static_cast<int>((v + kMagic) - kMagic) + zp);
  }
}

// The loop in its own function with __restrict pointers (see parallelRanges): written inline in
// the OpenMP region it stayed scalar, 13% of an int8 MNIST prediction at batch 1.
template <class Q>
void quantizeLoop(const float* x, Q* q, int64_t n, float scale, int zp, int lo, int hi) {
  const float flo = static_cast<float>(lo - zp), fhi = static_cast<float>(hi - zp);
  parallelRanges(n, [&](int64_t b, int64_t e) { quantizeRange(x + b, q + b, e - b, scale, zp, flo, fhi); }, 1 << 14, kParallelMin);
}

void quantizeKernel(const KernelCall& c) {
  const auto& a = c.attr<schema::QuantizeAttrs>();
  applyThreads();
  if (c.out().dtype == DType::uint8)
    quantizeLoop(c.in(0).as<float>(), c.out().as<uint8_t>(), c.out().size, a.scale, a.zeroPoint, 0, 255);
  else
    quantizeLoop(c.in(0).as<float>(), c.out().as<int8_t>(), c.out().size, a.scale, a.zeroPoint, -128, 127);
}

template <class Q>
void dequantizeLoop(const Q* q, float* y, int64_t n, float scale, int zp) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = scale * static_cast<float>(q[i] - zp);
}

void dequantizeKernel(const KernelCall& c) {
  const auto& a = c.attr<schema::QuantizeAttrs>();
  applyThreads();
  if (c.in(0).dtype == DType::uint8)
    dequantizeLoop(c.in(0).as<uint8_t>(), c.out().as<float>(), c.out().size, a.scale, a.zeroPoint);
  else
    dequantizeLoop(c.in(0).as<int8_t>(), c.out().as<float>(), c.out().size, a.scale, a.zeroPoint);
}

// ---- the requantization as oneDNN attributes ------------------------------------------------

bool hasVnni() {
  static const bool v = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    auto has = [&](unsigned f) { return (isa & f) == f; };
    return has(dnnl_cpu_isa_avx512_core_vnni) || has(dnnl_cpu_isa_avx2_vnni);
  }();
  return v;
}

// True when oneDNN's u8 x s8 products are exact for these weights (see the file comment). The
// answer is remembered per weight storage (immutable, ids never reused): models call each
// layer's kernel with the same weights every time.
bool exactWeights(const TensorView& w) {
  if (hasVnni()) return true;
  static std::mutex mu;
  static std::unordered_map<uint64_t, bool> known;
  if (w.storageId) {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = known.find(w.storageId); it != known.end()) return it->second;
  }
  const int8_t* p = w.as<int8_t>();
  int lo = 0, hi = 0;
  for (int64_t i = 0; i < w.size; ++i) {
    lo = p[i] < lo ? p[i] : lo;
    hi = p[i] > hi ? p[i] : hi;
  }
  const bool exact = lo >= -64 && hi <= 64;  // 2 * 255 * 64 still fits in int16
  if (w.storageId) {
    std::lock_guard<std::mutex> lock(mu);
    if (known.size() > 4096) known.clear();  // a bound; entries are cheap to recompute
    known[w.storageId] = exact;
  }
  return exact;
}

int64_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Everything of the epilogue a primitive bakes in, for its cache key.
void appendEpilogueKey(std::vector<int64_t>& key, const KernelCall& c, const QuantizedEpilogueAttrs& a) {
  key.insert(key.end(), {static_cast<int64_t>(c.in(2).storageId), a.hasBias ? static_cast<int64_t>(c.in(3).storageId) : 0,
                         bits(a.inputScale), a.inputZeroPoint, static_cast<int64_t>(a.activation),
                         static_cast<int64_t>(c.out().dtype), bits(a.outputScale), a.outputZeroPoint});
}

struct Requant {
  std::vector<float> scales, bias;  // oneDNN's output scales and pre-scale bias, per channel
  bool ok = true;
};

Requant requant(const KernelCall& c, const QuantizedEpilogueAttrs& a, int64_t outC) {
  Requant r;
  const float* fs = c.in(2).as<float>();
  const bool one = c.in(2).size == 1;
  const bool u8 = c.out().dtype == DType::uint8;
  for (int64_t ch = 0; ch < outC; ++ch) {
    const float m = a.inputScale * fs[one ? 0 : ch];
    if (!(m > 0) || !std::isfinite(m)) r.ok = false;  // the bias cannot be moved before the scale
    r.scales.push_back(u8 ? m / a.outputScale : m);
    if (a.hasBias) r.bias.push_back(c.in(3).as<float>()[ch] / m);
  }
  return r;
}

dnnl::primitive_attr attrFor(const QuantizedEpilogueAttrs& a, const Requant& r, bool u8Out) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(2, r.scales);  // mask 2: one per output channel (axis 1 of NCHW and of [m, n])
  if (a.inputZeroPoint) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (u8Out && a.outputZeroPoint) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  dnnl::post_ops po;
  if (a.activation == Activation::relu) po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  if (a.activation == Activation::relu6)  // after the output scale: 6 in the output's units
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, u8Out ? 6.f / a.outputScale : 6.f);
  attr.set_post_ops(po);
  return attr;
}

struct Entry {
  bool ok = false;
  memory::desc src, weights, dst, biasDesc;
  dnnl::primitive prim;
  std::vector<float> bias;
  Entry() = default;
};
PrimitiveCache<Entry> cache(512);

// Runs a cached (or new) primitive. `make` fills the entry; it returns false, or throws
// dnnl::error, when oneDNN cannot run the call (the caller then runs the reference kernel).
bool execute(const KernelCall& c, const QuantizedEpilogueAttrs& a, std::vector<int64_t> key, const memory& userWeights,
             uint64_t weightsId, const std::function<bool(Entry&)>& make) {
  appendEpilogueKey(key, c, a);
  auto build = [&] {
    auto e = std::make_shared<Entry>();
    try {
      e->ok = make(*e);
    } catch (const dnnl::error&) {
      e->ok = false;
    }
    return e;
  };
  const bool cacheable = c.in(2).storageId && (!a.hasBias || c.in(3).storageId);
  auto entry = cacheable ? cache.get(key, build) : build();
  if (!entry->ok) return false;
  // A float32 input is quantized here (as the Quantize kernel does), into a per-thread buffer.
  thread_local std::vector<uint8_t> buffer;
  void* srcData = c.in(0).data;
  if (c.in(0).dtype == DType::float32) {
    buffer.resize(static_cast<size_t>(c.in(0).size));
    quantizeLoop(c.in(0).as<float>(), buffer.data(), c.in(0).size, a.inputScale, a.inputZeroPoint, 0, 255);
    srcData = buffer.data();
  }
  auto& eng = dnnlEngine();
  int32_t zpSrc = a.inputZeroPoint, zpDst = a.outputZeroPoint;
  memory src(entry->src, eng, srcData), dst(entry->dst, eng, c.out().data);
  memory wei = reorderedWeights(userWeights, entry->weights, weightsId);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  memory::desc zpDesc({1}, dt::s32, tag::x);
  if (a.inputZeroPoint) args.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, memory(zpDesc, eng, &zpSrc));
  if (c.out().dtype == DType::uint8 && a.outputZeroPoint)
    args.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, memory(zpDesc, eng, &zpDst));
  if (!entry->bias.empty()) args.emplace(DNNL_ARG_BIAS, memory(entry->biasDesc, eng, entry->bias.data()));
  entry->prim.execute(dnnlStream(), args);
  dnnlStream().wait();
  return true;
}

// ---- convolutions ------------------------------------------------------------------------

// One convolution's sizes: x [n, h, w, ch] -> y [n, oh, ow, oc], taps kh x kw.
struct ConvGeometry {
  int64_t n, h, w, ch, oh, ow, oc, kh, kw;
  memory::dims strides{1, 1}, dilates{0, 0}, padL{0, 0}, padR{0, 0};
};

bool convolve(const KernelCall& c, const QuantizedEpilogueAttrs& q, const ConvGeometry& g, bool depthwise) {
  if (!depthwise && !exactWeights(c.in(1))) return false;
  const int64_t groups = depthwise ? g.ch : 1;
  // The HWIO filter (depthwise [kh, kw, c, mult]) described to oneDNN by strides.
  const int64_t mult = g.oc / groups;
  memory::desc user = depthwise ? memory::desc({groups, mult, 1, g.kh, g.kw}, dt::s8, memory::dims{mult, 1, mult, g.kw * g.ch * mult, g.ch * mult})
                                : memory::desc({g.oc, g.ch, g.kh, g.kw}, dt::s8, memory::dims{1, g.oc, g.kw * g.ch * g.oc, g.ch * g.oc});
  memory::desc any = depthwise ? memory::desc({groups, mult, 1, g.kh, g.kw}, dt::s8, tag::any)
                               : memory::desc({g.oc, g.ch, g.kh, g.kw}, dt::s8, tag::any);
  const bool u8Out = c.out().dtype == DType::uint8;
  std::vector<int64_t> key{depthwise ? 1 : 0, g.n, g.h, g.w, g.ch, g.oh, g.ow, g.oc, g.kh, g.kw, g.strides[0], g.strides[1],
                           g.dilates[0], g.dilates[1], g.padL[0], g.padL[1], g.padR[0], g.padR[1]};
  applyThreads();
  // The requantization factors are computed once per primitive (the key holds the storage ids
  // of the scales and the bias), not per call.
  return execute(c, q, key, memory(user, dnnlEngine(), c.in(1).data), c.in(1).storageId, [&](Entry& e) {
    Requant r = requant(c, q, g.oc);
    if (!r.ok) return false;
    memory::desc src({g.n, g.ch, g.h, g.w}, dt::u8, tag::nhwc), dst({g.n, g.oc, g.oh, g.ow}, u8Out ? dt::u8 : dt::f32, tag::nhwc);
    memory::desc bias = q.hasBias ? memory::desc({g.oc}, dt::f32, tag::x) : memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, any,
                                      bias, dst, g.strides, g.dilates, g.padL, g.padR);
    dnnl::convolution_forward::primitive_desc pd(d, attrFor(q, r, u8Out), dnnlEngine());
    e.src = pd.src_desc();
    e.weights = pd.weights_desc();
    e.dst = pd.dst_desc();
    e.prim = dnnl::convolution_forward(pd);
    e.bias = r.bias;
    e.biasDesc = bias;
    return true;
  });
}

bool convolve(const KernelCall& c, bool depthwise) {
  const auto& at = c.attr<schema::QuantizedConv2DAttrs>();
  const auto& a = at.conv;
  const Shape &in = *c.in(0).shape, &out = *c.out().shape, &f = *c.in(1).shape;
  if (c.out().size == 0) return true;
  if (c.in(0).size == 0 || c.in(1).size == 0) return false;
  ConvGeometry g{in[0], in[1], in[2], in[3], out[1], out[2], out[3], f[0], f[1]};
  g.strides = {a.strideH, a.strideW};
  g.dilates = {a.dilationH - 1, a.dilationW - 1};
  g.padL = {a.padTop, a.padLeft};
  g.padR = {(g.oh - 1) * a.strideH + (g.kh - 1) * a.dilationH + 1 - g.h - a.padTop,
            (g.ow - 1) * a.strideW + (g.kw - 1) * a.dilationW + 1 - g.w - a.padLeft};
  return convolve(c, at.q, g, depthwise);
}

void quantizedConv2D(const KernelCall& c) {
  if (!convolve(c, false)) callReference("QuantizedConv2D", c);
}
void quantizedDepthwiseConv2D(const KernelCall& c) {
  if (!convolve(c, true)) callReference("QuantizedDepthwiseConv2D", c);
}

// ---- matrix product ----------------------------------------------------------------------

// x [m, k] times w [k, n] is a 1x1 convolution of m one-pixel images with k channels (the same
// bytes: nhwc [m, 1, 1, k], and [k, n] is the HWIO filter [1, 1, k, n]). oneDNN's int8
// convolution keeps its reordered weights (cached here by storage id), while its int8 matmul
// on AVX2 packs the weights on every call: 29 us against ~8 us for 1x1600 times 1600x128 on
// one thread of the 2-core EPYC (DNNL_VERBOSE), which made int8 Dense layers slower than float.
bool multiply(const KernelCall& c) {
  const auto& at = c.attr<schema::QuantizedMatMulAttrs>();
  const int64_t m = (*c.in(0).shape)[0], k = (*c.in(0).shape)[1], n = (*c.in(1).shape)[1];
  if (c.out().size == 0) return true;
  if (k == 0) return false;
  return convolve(c, at.q, ConvGeometry{m, 1, 1, k, 1, 1, n, 1, 1}, false);
}

void quantizedMatMul(const KernelCall& c) {
  if (!multiply(c)) callReference("QuantizedMatMul", c);
}

const KernelEntry kKernels[] = {
    {"Quantize", quantizeKernel},
    {"Dequantize", dequantizeKernel},
    {"QuantizedConv2D", quantizedConv2D},
    {"QuantizedDepthwiseConv2D", quantizedDepthwiseConv2D},
    {"QuantizedMatMul", quantizedMatMul},
};

bool registered = [] {
  registerKernels(kName, kKernels);
  return true;
}();

}  // namespace
}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
