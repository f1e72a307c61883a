// cpu kernels for the convolutions, on oneDNN: Conv2D, FusedConv2D, DepthwiseConv2dNative,
// FusedDepthwiseConv2D (a grouped convolution, one group per input channel) and the backprop
// kernels Conv2DBackpropInput / Conv2DBackpropFilter. Activations and images stay NHWC; the
// HWIO filters are described to oneDNN by strides and reordered, on every call, into the
// layout the primitive chose once per weight storage (primitives are cached by geometry,
// reordered weights by storage id, never by data pointer, so a freed and reused weight buffer
// can never be mistaken for a cached one).
#ifdef STRATA_CPU_BACKEND

#include "backends/cpu/common.h"
#include "core/schema/conv.h"

namespace strata::cpu {
namespace {

using dnnl::memory;
using schema::Conv2DAttrs;
using tag = memory::format_tag;
using dt = memory::data_type;

// The geometry of one convolution, NHWC input [n, h, w, c], output [n, oh, ow, oc].
struct Geometry {
  int64_t n, h, w, c, oh, ow, oc, kh, kw;
  int64_t groups;  // 1, or c for depthwise
  memory::dims strides, dilates, padL, padR;
};

Geometry geometry(const Shape& in, const Shape& out, const Shape& filter, const Conv2DAttrs& a, bool depthwise) {
  Geometry g{in[0], in[1], in[2], in[3], out[1], out[2], out[3], filter[0], filter[1], depthwise ? in[3] : 1, {}, {}, {}, {}};
  g.strides = {a.strideH, a.strideW};
  g.dilates = {a.dilationH - 1, a.dilationW - 1};
  g.padL = {a.padTop, a.padLeft};
  // The right/bottom padding that makes oneDNN's output size exactly the op's.
  g.padR = {(g.oh - 1) * a.strideH + (g.kh - 1) * a.dilationH + 1 - g.h - a.padTop,
            (g.ow - 1) * a.strideW + (g.kw - 1) * a.dilationW + 1 - g.w - a.padLeft};
  return g;
}

std::vector<int64_t> key(int kind, const Geometry& g, int64_t extra1 = 0, int64_t extra2 = 0) {
  return {kind, g.n, g.h, g.w, g.c, g.oh, g.ow, g.oc, g.kh, g.kw, g.groups, g.strides[0], g.strides[1],
          g.dilates[0], g.dilates[1], g.padL[0], g.padL[1], g.padR[0], g.padR[1], extra1, extra2};
}

memory::desc imageDesc(int64_t n, int64_t c, int64_t h, int64_t w) { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }

// The HWIO filter (depthwise: [kh, kw, c, mult]) as oneDNN weights, by strides.
memory::desc filterDesc(const Geometry& g) {
  if (g.groups > 1) {
    const int64_t mult = g.oc / g.groups;
    return memory::desc({g.groups, mult, 1, g.kh, g.kw}, dt::f32, memory::dims{mult, 1, mult, g.kw * g.c * mult, g.c * mult});
  }
  return memory::desc({g.oc, g.c, g.kh, g.kw}, dt::f32, memory::dims{1, g.oc, g.kw * g.c * g.oc, g.c * g.oc});
}
memory::desc anyFilterDesc(const Geometry& g) {
  if (g.groups > 1) return memory::desc({g.groups, g.oc / g.groups, 1, g.kh, g.kw}, dt::f32, tag::any);
  return memory::desc({g.oc, g.c, g.kh, g.kw}, dt::f32, tag::any);
}

// Weights in the primitive's layout: the user's memory when it matches, else a cached reorder.
memory weightsFor(const memory::desc& want, const Geometry& g, const TensorView& f) {
  memory user(filterDesc(g), dnnlEngine(), f.data);
  return reorderedWeights(user, want, f.storageId);
}

// A cached oneDNN primitive of kind P with its primitive_desc; ok is false when oneDNN cannot
// make it (the caller then runs the reference kernel).
template <class P>
struct Cached {
  bool ok = false;
  typename P::primitive_desc pd;
  P prim;
};

// The primitive cached under `key`, made on first use from the primitive_desc `describe()` returns.
template <class P, class Describe>
std::shared_ptr<Cached<P>> cachedPrimitive(PrimitiveCache<Cached<P>>& cache, const std::vector<int64_t>& key, Describe describe) {
  return cache.get(key, [&] {
    auto e = std::make_shared<Cached<P>>();
    try {
      e->pd = describe();
      e->prim = P(e->pd);
      e->ok = true;
    } catch (const dnnl::error&) {
      e->ok = false;
    }
    return e;
  });
}

// ---- forward -----------------------------------------------------------------------------

PrimitiveCache<Cached<dnnl::convolution_forward>> fwdCache;

// Runs the forward convolution; `fused` null for the plain kernels. Returns false when oneDNN
// cannot do it (the caller then runs the reference kernel).
bool forward(const KernelCall& c, const Conv2DAttrs& a, bool depthwise, const schema::FusedActivationAttrs* fused) {
  if (c.out().size == 0) return true;
  if (c.in(0).size == 0 || c.in(1).size == 0) return false;
  const Geometry g = geometry(*c.in(0).shape, *c.out().shape, *c.in(1).shape, a, depthwise);
  // oneDNN takes the bias and the activation when the bias is per channel (or absent) and the
  // activation is one of its eltwise ops; otherwise the epilogue runs afterwards.
  const bool dnnlFuse = fused && (!fused->hasBias || channelBias(c, *fused)) && dnnlActivation(fused->activation) &&
                        !fused->hasPreluWeights;
  const bool withBias = dnnlFuse && fused->hasBias;
  const int act = dnnlFuse ? static_cast<int>(fused->activation) : -1;
  applyThreads();
  auto entry = cachedPrimitive(fwdCache, key(depthwise ? 1 : 0, g, withBias, act), [&] {
    memory::desc bias = withBias ? memory::desc({g.oc}, dt::f32, tag::x) : memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      imageDesc(g.n, g.c, g.h, g.w), anyFilterDesc(g), bias,
                                      imageDesc(g.n, g.oc, g.oh, g.ow), g.strides, g.dilates, g.padL, g.padR);
    dnnl::primitive_attr attr;
    if (dnnlFuse) {
      dnnl::post_ops po;
      appendActivation(po, fused->activation);
      attr.set_post_ops(po);
    }
    return dnnl::convolution_forward::primitive_desc(d, attr, dnnlEngine());
  });
  if (!entry->ok) return false;
  auto& eng = dnnlEngine();
  memory src(entry->pd.src_desc(), eng, c.in(0).data);
  memory dst(entry->pd.dst_desc(), eng, c.out().data);
  memory wei = weightsFor(entry->pd.weights_desc(), g, c.in(1));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (withBias) args.emplace(DNNL_ARG_BIAS, memory(entry->pd.bias_desc(), eng, c.in(2).data));
  entry->prim.execute(dnnlStream(), args);
  dnnlStream().wait();
  if (fused && !dnnlFuse) applyEpilogue(c, *fused, true);
  return true;
}

void conv2D(const KernelCall& c) {
  if (!forward(c, c.attr<Conv2DAttrs>(), false, nullptr)) callReference("Conv2D", c);
}
void depthwiseConv2dNative(const KernelCall& c) {
  if (!forward(c, c.attr<Conv2DAttrs>(), true, nullptr)) callReference("DepthwiseConv2dNative", c);
}
void fusedConv2D(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedConv2DAttrs>();
  if (!forward(c, at.conv, false, &at.fused)) callReference("FusedConv2D", c);
}
void fusedDepthwiseConv2D(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedConv2DAttrs>();
  if (!forward(c, at.conv, true, &at.fused)) callReference("FusedDepthwiseConv2D", c);
}

// ---- backward ----------------------------------------------------------------------------

dnnl::convolution_forward::primitive_desc forwardHint(const Geometry& g) {
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                    imageDesc(g.n, g.c, g.h, g.w), anyFilterDesc(g), imageDesc(g.n, g.oc, g.oh, g.ow),
                                    g.strides, g.dilates, g.padL, g.padR);
  return dnnl::convolution_forward::primitive_desc(d, dnnlEngine());
}

PrimitiveCache<Cached<dnnl::convolution_backward_data>> bwdDataCache;

// (dy, filter) -> dx.
bool backpropInput(const KernelCall& c, bool depthwise) {
  if (c.out().size == 0) return true;
  if (c.in(0).size == 0 || c.in(1).size == 0) return false;
  const Geometry g = geometry(*c.out().shape, *c.in(0).shape, *c.in(1).shape, c.attr<Conv2DAttrs>(), depthwise);
  applyThreads();
  auto entry = cachedPrimitive(bwdDataCache, key(depthwise ? 11 : 10, g), [&] {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, imageDesc(g.n, g.c, g.h, g.w),
                                            anyFilterDesc(g), imageDesc(g.n, g.oc, g.oh, g.ow), g.strides, g.dilates,
                                            g.padL, g.padR);
    return dnnl::convolution_backward_data::primitive_desc(d, dnnlEngine(), forwardHint(g));
  });
  if (!entry->ok) return false;
  auto& eng = dnnlEngine();
  memory dy(entry->pd.diff_dst_desc(), eng, c.in(0).data);
  memory dx(entry->pd.diff_src_desc(), eng, c.out().data);
  memory wei = weightsFor(entry->pd.weights_desc(), g, c.in(1));
  entry->prim.execute(dnnlStream(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, dx}});
  dnnlStream().wait();
  return true;
}

PrimitiveCache<Cached<dnnl::convolution_backward_weights>> bwdWeightsCache;

// (x, dy) -> dfilter (HWIO; depthwise [kh, kw, c, mult]).
bool backpropFilter(const KernelCall& c, bool depthwise) {
  if (c.out().size == 0) return true;
  if (c.in(0).size == 0 || c.in(1).size == 0) return false;
  const Geometry g = geometry(*c.in(0).shape, *c.in(1).shape, *c.out().shape, c.attr<Conv2DAttrs>(), depthwise);
  applyThreads();
  auto entry = cachedPrimitive(bwdWeightsCache, key(depthwise ? 21 : 20, g), [&] {
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, imageDesc(g.n, g.c, g.h, g.w),
                                               anyFilterDesc(g), imageDesc(g.n, g.oc, g.oh, g.ow), g.strides,
                                               g.dilates, g.padL, g.padR);
    return dnnl::convolution_backward_weights::primitive_desc(d, dnnlEngine(), forwardHint(g));
  });
  if (!entry->ok) return false;
  auto& eng = dnnlEngine();
  memory x(entry->pd.src_desc(), eng, c.in(0).data);
  memory dy(entry->pd.diff_dst_desc(), eng, c.in(1).data);
  memory user(filterDesc(g), eng, c.out().data);
  const bool direct = entry->pd.diff_weights_desc() == user.get_desc();
  memory dw = direct ? user : memory(entry->pd.diff_weights_desc(), eng);
  entry->prim.execute(dnnlStream(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
  if (!direct) dnnl::reorder(dw, user).execute(dnnlStream(), dw, user);
  dnnlStream().wait();
  return true;
}

void conv2DBackpropInput(const KernelCall& c) {
  if (!backpropInput(c, false)) callReference("Conv2DBackpropInput", c);
}
void conv2DBackpropFilter(const KernelCall& c) {
  if (!backpropFilter(c, false)) callReference("Conv2DBackpropFilter", c);
}
void depthwiseBackpropInput(const KernelCall& c) {
  if (!backpropInput(c, true)) callReference("DepthwiseConv2dNativeBackpropInput", c);
}
void depthwiseBackpropFilter(const KernelCall& c) {
  if (!backpropFilter(c, true)) callReference("DepthwiseConv2dNativeBackpropFilter", c);
}

const KernelEntry kKernels[] = {
    {"Conv2D", conv2D},
    {"DepthwiseConv2dNative", depthwiseConv2dNative},
    {"FusedConv2D", fusedConv2D},
    {"FusedDepthwiseConv2D", fusedDepthwiseConv2D},
    {"Conv2DBackpropInput", conv2DBackpropInput},
    {"Conv2DBackpropFilter", conv2DBackpropFilter},
    {"DepthwiseConv2dNativeBackpropInput", depthwiseBackpropInput},
    {"DepthwiseConv2dNativeBackpropFilter", depthwiseBackpropFilter},
};

}  // namespace

void registerConvKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
