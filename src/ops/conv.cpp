// Convolutions (NHWC, HWIO filters): conv2d, conv1d, depthwiseConv2d, separableConv2d,
// conv2dTranspose, the fused forms, and the backprop ops; validation, shape inference,
// dispatch and gradients. Padding and output sizes follow TF.js (see ops/conv_util.h).
#include "strata/ops/conv.h"

#include "core/schema/conv.h"
#include "ops/conv_util.h"

namespace strata {

using detail::GradArgs;
using detail::opError;
using detail::run1;
using schema::Conv2DAttrs;
using schema::FusedConv2DAttrs;

namespace {

// A rank-4 view of a rank-3 (unbatched) or rank-4 image; throws naming `op` otherwise.
Tensor to4D(const Tensor& x, std::string_view op, std::string_view arg, size_t index) {
  detail::checkUsable(x, op, index);
  if (x.rank() == 4) return detail::toFloat(x);
  if (x.rank() == 3) return detail::toFloat(reshape(x, {1, x.shape()[0], x.shape()[1], x.shape()[2]}));
  throw Error(opError(op, std::string(arg) + " must have rank 4 (or 3 without the batch axis), got shape " +
                              shapeString(x.shape())));
}
Tensor from4D(const Tensor& y, bool was3D) {
  return was3D ? reshape(y, {y.shape()[1], y.shape()[2], y.shape()[3]}) : y;
}
Tensor filter4D(const Tensor& f, std::string_view op) {
  detail::requireRank(f, 4, op, "filter");
  return detail::toFloat(f);
}
Shape shapeOf4D(const Shape& s) { return s.size() == 3 ? Shape{1, s[0], s[1], s[2]} : s; }

// Output shape and attributes of a forward convolution of x4 [n,h,w,c] by a (fh x fw) filter.
struct Geometry {
  Shape out;
  Conv2DAttrs attrs;
};
Geometry geometry(std::string_view op, const Shape& x4, const Shape& f, int64_t outC, std::array<int, 2> strides,
                  std::array<int, 2> dilations, const Padding& pad) {
  auto w = detail::window2D(op, x4[1], x4[2], f[0], f[1], strides, dilations, pad);
  return {{x4[0], w.outH, w.outW, outC}, w.attrs};
}

void requireChannels(std::string_view op, const Shape& x, const Shape& f, const char* what) {
  if (x[3] != f[2])
    throw Error(opError(op, std::string("input depth ") + std::to_string(x[3]) + " of shape " + shapeString(x) +
                                " must match the filter's " + what + " " + std::to_string(f[2]) + " of shape " +
                                shapeString(f)));
}

// ---- kernel calls (also used by the gradients, with already-resolved attributes) ----------

Tensor runConv(const char* kernel, const Tensor& x4, const Tensor& f, const Shape& out, const Conv2DAttrs& a) {
  return run1(kernelId(kernel), {x4, f}, out, DType::float32, a);
}
Tensor runBackpropInput(const char* kernel, const Shape& xShape, const Tensor& dy, const Tensor& f,
                        const Conv2DAttrs& a) {
  return run1(kernelId(kernel), {dy, f}, xShape, DType::float32, a);
}
Tensor runBackpropFilter(const char* kernel, const Tensor& x, const Tensor& dy, const Shape& fShape,
                         const Conv2DAttrs& a) {
  return run1(kernelId(kernel), {x, dy}, fShape, DType::float32, a);
}

// Forward conv2d / depthwiseConv2d (plain or fused) of a rank-3/4 input.
struct ConvKind {
  const char* op;
  const char* kernel;
  const char* fusedOp;
  const char* fusedKernel;
  bool depthwise;
};
constexpr ConvKind kConv2D{"conv2d", "Conv2D", "fusedConv2d", "FusedConv2D", false};
constexpr ConvKind kDepthwise{"depthwiseConv2d", "DepthwiseConv2dNative", "fusedDepthwiseConv2d",
                              "FusedDepthwiseConv2D", true};

Geometry forwardGeometry(const ConvKind& k, std::string_view op, const Tensor& x4, const Tensor& f,
                         std::array<int, 2> strides, std::array<int, 2> dilations, const Padding& pad) {
  requireChannels(op, x4.shape(), f.shape(), k.depthwise ? "inChannels" : "input depth");
  int64_t outC = k.depthwise ? f.shape()[2] * f.shape()[3] : f.shape()[3];
  return geometry(op, x4.shape(), f.shape(), outC, strides, dilations, pad);
}

Tensor convForward(const ConvKind& k, const Tensor& x, const Tensor& filter, const Conv2DOptions& o) {
  Tensor x4 = to4D(x, k.op, "x", 0);
  Tensor f = filter4D(filter, k.op);
  Geometry g = forwardGeometry(k, k.op, x4, f, o.strides, o.dilations, o.pad);
  return from4D(runConv(k.kernel, x4, f, g.out, g.attrs), x.rank() == 3);
}

Tensor fusedForward(const ConvKind& k, const Tensor& x, const Tensor& filter, const FusedConv2DOptions& o) {
  Tensor x4 = to4D(x, k.fusedOp, "x", 0);
  Tensor f = filter4D(filter, k.fusedOp);
  Geometry g = forwardGeometry(k, k.fusedOp, x4, f, o.strides, o.dilations, o.pad);
  std::vector<Tensor> inputs{x4, f};
  FusedConv2DAttrs attrs{g.attrs, {}};
  attrs.fused = detail::fusedEpilogue(k.fusedOp, g.out, o.bias, o.activation, o.preluActivationWeights,
                                      o.leakyreluAlpha, inputs);
  detail::OutputSpec spec{g.out, DType::float32};
  Tensor y = detail::runKernel(kernelId(k.fusedKernel), inputs, std::span<const detail::OutputSpec>(&spec, 1), &attrs,
                               &detail::copyAttrs<FusedConv2DAttrs>)[0];
  return from4D(y, x.rank() == 3);
}

// dx of conv2d for an input of shape xShape (rank 3 or 4), as conv2dBackpropInput and
// conv2dTranspose compute it.
Tensor backpropInput(std::string_view op, const Shape& xShape, const Tensor& dy, const Tensor& filter,
                     const Conv2DOptions& o) {
  detail::checkUsable(dy, op, 0);
  if (xShape.size() != 3 && xShape.size() != 4)
    throw Error(opError(op, "the input shape must have rank 4 (or 3 without the batch axis), got " +
                                shapeString(xShape)));
  if (static_cast<size_t>(dy.rank()) != xShape.size())
    throw Error(opError(op, "the rank of the input shape " + shapeString(xShape) + " and of dy " +
                                shapeString(dy.shape()) + " must match"));
  Tensor dy4 = to4D(dy, op, "dy", 0);
  Tensor f = filter4D(filter, op);
  Shape x4 = shapeOf4D(xShape);
  requireChannels(op, x4, f.shape(), "input depth");
  Geometry g = geometry(op, x4, f.shape(), f.shape()[3], o.strides, o.dilations, o.pad);
  if (dy4.shape() != g.out)
    throw Error(opError(op, "dy has shape " + shapeString(dy.shape()) + " but a convolution of an input of shape " +
                                shapeString(xShape) + " by a filter of shape " + shapeString(f.shape()) +
                                " gives " + shapeString(g.out)));
  return from4D(runBackpropInput("Conv2DBackpropInput", x4, dy4, f, g.attrs), xShape.size() == 3);
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& o) { return convForward(kConv2D, x, filter, o); }

Tensor depthwiseConv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& o) {
  return convForward(kDepthwise, x, filter, o);
}

Tensor fusedConv2d(const Tensor& x, const Tensor& filter, const FusedConv2DOptions& o) {
  return fusedForward(kConv2D, x, filter, o);
}

Tensor fusedDepthwiseConv2d(const Tensor& x, const Tensor& filter, const FusedConv2DOptions& o) {
  return fusedForward(kDepthwise, x, filter, o);
}

Tensor conv1d(const Tensor& x, const Tensor& filter, const Conv1DOptions& o) {
  detail::checkUsable(x, "conv1d", 0);
  detail::checkUsable(filter, "conv1d", 1);
  if (x.rank() != 2 && x.rank() != 3)
    throw Error(opError("conv1d", "x must have rank 3 (or 2 without the batch axis), got shape " +
                                      shapeString(x.shape())));
  detail::requireRank(filter, 3, "conv1d", "filter");
  const Shape& fs = filter.shape();
  Shape x3 = x.rank() == 2 ? Shape{1, x.shape()[0], x.shape()[1]} : x.shape();
  if (x3[2] != fs[1])
    throw Error(opError("conv1d", "input depth " + std::to_string(x3[2]) + " of shape " + shapeString(x.shape()) +
                                      " must match the filter's input depth " + std::to_string(fs[1]) +
                                      " of shape " + shapeString(fs)));
  // A width-only conv2d: [n, 1, w, c] by [1, fw, c, outC]. Explicit 1-D padding is {left, right}.
  Padding pad = o.pad.kind == Padding::Kind::explicit_ ? Padding::explicitPads(0, 0, o.pad.amounts[0], o.pad.amounts[1])
                                                       : o.pad;
  Tensor y = conv2d(reshape(x, {x3[0], 1, x3[1], x3[2]}), reshape(filter, {1, fs[0], fs[1], fs[2]}),
                    {{1, o.stride}, pad, {1, o.dilation}});
  const Shape& s = y.shape();
  return x.rank() == 2 ? reshape(y, {s[2], s[3]}) : reshape(y, {s[0], s[2], s[3]});
}

Tensor separableConv2d(const Tensor& x, const Tensor& depthwiseFilter, const Tensor& pointwiseFilter,
                       const Conv2DOptions& o) {
  const char* op = "separableConv2d";
  detail::checkUsable(x, op, 0);
  detail::requireRank(depthwiseFilter, 4, op, "depthwiseFilter");
  detail::requireRank(pointwiseFilter, 4, op, "pointwiseFilter");
  const Shape &d = depthwiseFilter.shape(), &p = pointwiseFilter.shape();
  if (p[0] != 1 || p[1] != 1 || p[2] != d[2] * d[3])
    throw Error(opError(op, "pointwiseFilter must have shape [1,1," + std::to_string(d[2] * d[3]) + ",outC] for a "
                            "depthwiseFilter of shape " + shapeString(d) + ", got " + shapeString(p)));
  Tensor depthwise = depthwiseConv2d(x, depthwiseFilter, o);
  return conv2d(depthwise, pointwiseFilter, {{1, 1}, "valid", {1, 1}});
}

Tensor conv2dTranspose(const Tensor& x, const Tensor& filter, const Shape& outputShape, const Conv2DOptions& o) {
  return backpropInput("conv2dTranspose", outputShape, x, filter, o);
}

Tensor conv2dBackpropInput(const Shape& xShape, const Tensor& dy, const Tensor& filter, const Conv2DOptions& o) {
  return backpropInput("conv2dBackpropInput", xShape, dy, filter, o);
}

Tensor conv2dBackpropFilter(const Tensor& x, const Tensor& dy, const Shape& filterShape, const Conv2DOptions& o) {
  const char* op = "conv2dBackpropFilter";
  Tensor x4 = to4D(x, op, "x", 0);
  Tensor dy4 = to4D(dy, op, "dy", 1);
  if (filterShape.size() != 4)
    throw Error(opError(op, "filterShape must have rank 4, got " + shapeString(filterShape)));
  requireChannels(op, x4.shape(), filterShape, "input depth");
  Geometry g = geometry(op, x4.shape(), filterShape, filterShape[3], o.strides, o.dilations, o.pad);
  if (dy4.shape() != g.out)
    throw Error(opError(op, "dy has shape " + shapeString(dy.shape()) + " but a convolution of x of shape " +
                                shapeString(x.shape()) + " by a filter of shape " + shapeString(filterShape) +
                                " gives " + shapeString(g.out)));
  return runBackpropFilter("Conv2DBackpropFilter", x4, dy4, filterShape, g.attrs);
}

// ---- gradients --------------------------------------------------------------------------

namespace {

const char* backpropInputKernel(bool depthwise) {
  return depthwise ? "DepthwiseConv2dNativeBackpropInput" : "Conv2DBackpropInput";
}
const char* backpropFilterKernel(bool depthwise) {
  return depthwise ? "DepthwiseConv2dNativeBackpropFilter" : "Conv2DBackpropFilter";
}

// d/dx and d/dfilter of a convolution with respect to its output gradient dy.
std::vector<Tensor> convGrads(const GradArgs& g, const Tensor& dy, const Conv2DAttrs& a, bool depthwise) {
  const Tensor &x = g.x(0), &f = g.x(1);
  // A model's first convolution needs no gradient for its input (the data).
  return {g.needs(0) ? runBackpropInput(backpropInputKernel(depthwise), x.shape(), dy, f, a) : Tensor(),
          g.needs(1) ? runBackpropFilter(backpropFilterKernel(depthwise), x, dy, f.shape(), a) : Tensor()};
}

std::vector<Tensor> conv2DGrad(const GradArgs& g) { return convGrads(g, g.dy(), g.attr<Conv2DAttrs>(), false); }
std::vector<Tensor> depthwiseGrad(const GradArgs& g) { return convGrads(g, g.dy(), g.attr<Conv2DAttrs>(), true); }

template <bool Depthwise>
std::vector<Tensor> fusedGrad(const GradArgs& g) {
  const auto& at = g.attr<FusedConv2DAttrs>();
  const char* kernel = Depthwise ? "DepthwiseConv2dNative" : "Conv2D";
  auto e = detail::fusedEpilogueGrad(g, at.fused, [&] { return runConv(kernel, g.x(0), g.x(1), g.y().shape(), at.conv); });
  std::vector<Tensor> r = convGrads(g, e.dz, at.conv, Depthwise);
  if (at.fused.hasBias) r.push_back(e.dBias);
  if (at.fused.hasPreluWeights) r.push_back(e.dPrelu);
  return r;
}

// Conv2DBackpropInput (dy, filter) -> dx is linear in each input: its gradient with respect
// to dy is the forward convolution of ddx, and with respect to the filter the filter
// gradient of the convolution of ddx producing dy (as TF.js defines it).
std::vector<Tensor> backpropInputGrad(const GradArgs& g) {
  const auto& a = g.attr<Conv2DAttrs>();
  const Tensor &ddx = g.dy(), &dy = g.x(0), &f = g.x(1);
  return {runConv("Conv2D", ddx, f, dy.shape(), a), runBackpropFilter("Conv2DBackpropFilter", ddx, dy, f.shape(), a)};
}

detail::GradientRegistrar registrar{
    {"Conv2D", conv2DGrad},
    {"DepthwiseConv2dNative", depthwiseGrad},
    {"FusedConv2D", fusedGrad<false>},
    {"FusedDepthwiseConv2D", fusedGrad<true>},
    {"Conv2DBackpropInput", backpropInputGrad},
};

}  // namespace
}  // namespace strata
