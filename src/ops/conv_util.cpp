#include "ops/conv_util.h"

#include <cmath>

namespace strata::detail {

namespace {

std::string pairString(std::array<int, 2> p) { return "[" + std::to_string(p[0]) + "," + std::to_string(p[1]) + "]"; }

// One spatial axis: output size and {before, after} padding.
struct Axis {
  int64_t out;
  int before, after;
};

Axis resolveAxis(const Padding& pad, int64_t in, int64_t effective, int stride, int explicitBefore, int explicitAfter) {
  switch (pad.kind) {
    case Padding::Kind::valid:
      return {static_cast<int64_t>(std::ceil(static_cast<double>(in - effective + 1) / stride)), 0, 0};
    case Padding::Kind::same: {
      int64_t out = (in + stride - 1) / stride;
      int64_t total = std::max<int64_t>(0, (out - 1) * stride + effective - in);
      return {out, static_cast<int>(total / 2), static_cast<int>(total - total / 2)};
    }
    case Padding::Kind::explicit_:
      break;
  }
  double v = static_cast<double>(in - effective + explicitBefore + explicitAfter) / stride + 1;
  return {static_cast<int64_t>(std::trunc(v)), explicitBefore, explicitAfter};
}

}  // namespace

Window2D window2D(std::string_view op, int64_t inH, int64_t inW, int64_t fh, int64_t fw, std::array<int, 2> strides,
                  std::array<int, 2> dilations, const Padding& pad) {
  if (strides[0] < 1 || strides[1] < 1)
    throw Error(opError(op, "strides must be positive, got " + pairString(strides)));
  if (dilations[0] < 1 || dilations[1] < 1)
    throw Error(opError(op, "dilations must be positive, got " + pairString(dilations)));
  // TF.js (and TensorFlow) support strided or dilated windows, not both at once.
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1))
    throw Error(opError(op, "either strides or dilations must be 1, got strides " + pairString(strides) +
                                " and dilations " + pairString(dilations)));
  if (pad.kind == Padding::Kind::explicit_)
    for (int a : pad.amounts)
      if (a < 0)
        throw Error(opError(op, "explicit padding must be non-negative, got {" + std::to_string(pad.amounts[0]) + "," +
                                    std::to_string(pad.amounts[1]) + "," + std::to_string(pad.amounts[2]) + "," +
                                    std::to_string(pad.amounts[3]) + "}"));
  const int64_t effH = fh + (fh - 1) * (dilations[0] - 1);
  const int64_t effW = fw + (fw - 1) * (dilations[1] - 1);
  Axis h = resolveAxis(pad, inH, effH, strides[0], pad.amounts[0], pad.amounts[1]);
  Axis w = resolveAxis(pad, inW, effW, strides[1], pad.amounts[2], pad.amounts[3]);
  if (h.out < 0 || w.out < 0)
    throw Error(opError(op, "the " + std::to_string(effH) + "x" + std::to_string(effW) +
                                " window (filter size with dilation) does not fit the padded " + std::to_string(inH) +
                                "x" + std::to_string(inW) + " input"));
  Window2D r;
  r.outH = h.out;
  r.outW = w.out;
  r.attrs.strideH = strides[0];
  r.attrs.strideW = strides[1];
  r.attrs.dilationH = dilations[0];
  r.attrs.dilationW = dilations[1];
  r.attrs.padTop = h.before;
  r.attrs.padBottom = h.after;
  r.attrs.padLeft = w.before;
  r.attrs.padRight = w.after;
  return r;
}

schema::FusedActivationAttrs fusedEpilogue(std::string_view op, const Shape& outShape, const Tensor& bias,
                                           Activation activation, const Tensor& preluWeights, float leakyreluAlpha,
                                           std::vector<Tensor>& inputs) {
  schema::FusedActivationAttrs a;
  a.activation = activation;
  a.leakyreluAlpha = leakyreluAlpha;
  // Both extras broadcast against the output and must not grow it.
  auto extra = [&](const Tensor& t, const char* what) {
    checkUsable(t, op, inputs.size());
    Shape b = broadcastShapes(outShape, t.shape(), op);
    if (b != outShape)
      throw Error(opError(op, std::string(what) + " of shape " + shapeString(t.shape()) +
                                  " does not broadcast to the output shape " + shapeString(outShape)));
    inputs.push_back(toFloat(t));
  };
  if (bias.defined()) {
    extra(bias, "bias");
    a.hasBias = true;
  }
  if (activation == Activation::prelu) {
    if (!preluWeights.defined()) throw Error(opError(op, "activation 'prelu' needs preluActivationWeights"));
    extra(preluWeights, "preluActivationWeights");
    a.hasPreluWeights = true;
  }
  // Weights given with another activation are unused, as in TF.js.
  return a;
}

EpilogueGrads fusedEpilogueGrad(const GradArgs& g, const schema::FusedActivationAttrs& a,
                                const std::function<Tensor()>& product) {
  const Tensor &dy = g.dy(), &y = g.y();
  size_t next = 2;
  Tensor bias = a.hasBias ? g.x(next++) : Tensor();
  Tensor weights = a.hasPreluWeights ? g.x(next++) : Tensor();
  // The pre-activation, for the activations whose derivative the output cannot give.
  auto z = [&] { return bias.defined() ? add(product(), bias) : product(); };
  const Tensor zero = scalar(0.0f);
  EpilogueGrads r;
  switch (a.activation) {
    case Activation::linear:
      r.dz = dy;
      break;
    case Activation::relu:
      r.dz = mul(dy, step(y));
      break;
    case Activation::relu6: {
      Tensor pre = z();
      r.dz = mul(dy, cast(logicalAnd(greater(pre, zero), lessEqual(pre, scalar(6.0f))), DType::float32));
      break;
    }
    case Activation::elu:
      r.dz = where(greaterEqual(y, zero), dy, mul(dy, add(y, scalar(1.0f))));
      break;
    case Activation::leakyrelu:
      r.dz = where(greater(z(), zero), dy, mul(dy, scalar(a.leakyreluAlpha)));
      break;
    case Activation::prelu: {
      Tensor pre = z();
      Tensor positive = greater(pre, zero);
      r.dz = where(positive, dy, mul(dy, weights));
      r.dPrelu = sumToShape(where(positive, zerosLike(dy), mul(dy, pre)), weights.shape());
      break;
    }
    case Activation::sigmoid:
      r.dz = mul(dy, mul(y, sub(scalar(1.0f), y)));
      break;
  }
  if (bias.defined()) r.dBias = sumToShape(r.dz, bias.shape());
  return r;
}

}  // namespace strata::detail
