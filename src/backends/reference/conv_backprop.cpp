// Reference kernels for the convolution gradients: Conv2DBackpropInput/Filter and
// DepthwiseConv2dNativeBackpropInput/Filter. Each walks the forward convolution's taps and
// scatters products into a double buffer, rounded once at the end; dilations are honoured.
#include <vector>

#include "backends/reference/conv_common.h"
#include "backends/reference/kernels.h"

namespace strata::reference {
namespace {

using schema::Conv2DAttrs;

void store(const KernelCall& c, const std::vector<double>& acc) {
  float* out = c.out().as<float>();
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
}

// (dy, filter) -> dx: dx[b, iy, ix, ci] += dy[b, oy, ox, co] * filter[ky, kx, ci, co] over every tap.
void backpropInput(const KernelCall& c, bool depthwise) {
  const Shape &dys = *c.in(0).shape, &fs = *c.in(1).shape;
  const ConvDims d = convDims(*c.out().shape, dys, fs);
  const float* dy = c.in(0).as<float>();
  const float* f = c.in(1).as<float>();
  std::vector<double> dx(static_cast<size_t>(c.out().size), 0.0);
  const int64_t mult = fs[3];
  forEachTap(d, c.attr<Conv2DAttrs>(), [&](int64_t b, int64_t oy, int64_t ox, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
    const float* g = dy + ((b * d.outH + oy) * d.outW + ox) * d.outC;
    const float* fp = f + (ky * d.fw + kx) * fs[2] * fs[3];
    double* dp = dx.data() + ((b * d.inH + iy) * d.inW + ix) * d.inC;
    for (int64_t ci = 0; ci < d.inC; ++ci) {
      double s = 0;
      if (depthwise)
        for (int64_t q = 0; q < mult; ++q) s += static_cast<double>(g[ci * mult + q]) * fp[ci * mult + q];
      else
        for (int64_t co = 0; co < d.outC; ++co) s += static_cast<double>(g[co]) * fp[ci * d.outC + co];
      dp[ci] += s;
    }
  });
  store(c, dx);
}

// (x, dy) -> dfilter: dfilter[ky, kx, ci, co] += x[b, iy, ix, ci] * dy[b, oy, ox, co] over every tap.
void backpropFilter(const KernelCall& c, bool depthwise) {
  const Shape &xs = *c.in(0).shape, &dys = *c.in(1).shape, &fs = *c.out().shape;
  const ConvDims d = convDims(xs, dys, fs);
  const float* x = c.in(0).as<float>();
  const float* dy = c.in(1).as<float>();
  std::vector<double> df(static_cast<size_t>(c.out().size), 0.0);
  const int64_t mult = fs[3];
  forEachTap(d, c.attr<Conv2DAttrs>(), [&](int64_t b, int64_t oy, int64_t ox, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
    const float* xp = x + ((b * d.inH + iy) * d.inW + ix) * d.inC;
    const float* g = dy + ((b * d.outH + oy) * d.outW + ox) * d.outC;
    double* fp = df.data() + (ky * d.fw + kx) * fs[2] * fs[3];
    for (int64_t ci = 0; ci < d.inC; ++ci) {
      const double xv = xp[ci];
      if (depthwise)
        for (int64_t q = 0; q < mult; ++q) fp[ci * mult + q] += xv * g[ci * mult + q];
      else
        for (int64_t co = 0; co < d.outC; ++co) fp[ci * d.outC + co] += xv * g[co];
    }
  });
  store(c, df);
}

void conv2DBackpropInput(const KernelCall& c) { backpropInput(c, false); }
void conv2DBackpropFilter(const KernelCall& c) { backpropFilter(c, false); }
void depthwiseBackpropInput(const KernelCall& c) { backpropInput(c, true); }
void depthwiseBackpropFilter(const KernelCall& c) { backpropFilter(c, true); }

const KernelEntry kKernels[] = {
    {"Conv2DBackpropInput", conv2DBackpropInput},
    {"Conv2DBackpropFilter", conv2DBackpropFilter},
    {"DepthwiseConv2dNativeBackpropInput", depthwiseBackpropInput},
    {"DepthwiseConv2dNativeBackpropFilter", depthwiseBackpropFilter},
};

}  // namespace

void registerConvBackpropKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
