// Reference kernels for the forward convolutions: Conv2D, DepthwiseConv2dNative and their
// fused forms (bias + activation). Each output element accumulates in double, rounded once.
// The backprop kernels are in conv_backprop.cpp.
#include <vector>

#include "backends/reference/conv_common.h"
#include "backends/reference/fused_epilogue.h"
#include "backends/reference/kernels.h"

namespace strata::reference {
namespace {

using schema::Conv2DAttrs;

// z[b, oy, ox, co] = sum over taps and input channels of x * filter, in double.
// Depthwise filters [fh, fw, inC, mult] map input channel ci to outputs ci*mult + q.
std::vector<double> convolve(const KernelCall& c, const Conv2DAttrs& a, bool depthwise) {
  const Shape &xs = *c.in(0).shape, &fs = *c.in(1).shape;
  const ConvDims d = convDims(xs, *c.out().shape, fs);
  const float* x = c.in(0).as<float>();
  const float* f = c.in(1).as<float>();
  std::vector<double> z(static_cast<size_t>(c.out().size), 0.0);
  const int64_t mult = depthwise ? fs[3] : 0;
  forEachTap(d, a, [&](int64_t b, int64_t oy, int64_t ox, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
    const float* xp = x + ((b * d.inH + iy) * d.inW + ix) * d.inC;
    const float* fp = f + (ky * d.fw + kx) * fs[2] * fs[3];
    double* zp = z.data() + ((b * d.outH + oy) * d.outW + ox) * d.outC;
    if (depthwise) {
      for (int64_t ci = 0; ci < d.inC; ++ci)
        for (int64_t q = 0; q < mult; ++q) zp[ci * mult + q] += static_cast<double>(xp[ci]) * fp[ci * mult + q];
    } else {
      for (int64_t ci = 0; ci < d.inC; ++ci)
        for (int64_t co = 0; co < d.outC; ++co) zp[co] += static_cast<double>(xp[ci]) * fp[ci * d.outC + co];
    }
  });
  return z;
}

void store(const KernelCall& c, const std::vector<double>& z) {
  float* y = c.out().as<float>();
  for (size_t i = 0; i < z.size(); ++i) y[i] = static_cast<float>(z[i]);
}

void conv2D(const KernelCall& c) { store(c, convolve(c, c.attr<Conv2DAttrs>(), false)); }
void depthwiseConv2dNative(const KernelCall& c) { store(c, convolve(c, c.attr<Conv2DAttrs>(), true)); }

void fusedConv2D(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedConv2DAttrs>();
  storeWithEpilogue(c, at.fused, convolve(c, at.conv, false));
}
void fusedDepthwiseConv2D(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedConv2DAttrs>();
  storeWithEpilogue(c, at.fused, convolve(c, at.conv, true));
}

const KernelEntry kKernels[] = {
    {"Conv2D", conv2D},
    {"DepthwiseConv2dNative", depthwiseConv2dNative},
    {"FusedConv2D", fusedConv2D},
    {"FusedDepthwiseConv2D", fusedDepthwiseConv2D},
};

}  // namespace

void registerConvKernels() {
  registerKernels(kName, kKernels);
  registerConvBackpropKernels();
}

}  // namespace strata::reference
