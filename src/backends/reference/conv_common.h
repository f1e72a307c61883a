// Shared by the reference convolution kernels (conv.cpp, conv_backprop.cpp): the walk over
// every (output pixel, filter tap) pair whose input cell lies inside the image.
#pragma once

#include <cstdint>

#include "core/schema/conv.h"
#include "strata/backend.h"

namespace strata::reference {

/// Sizes of one convolution: input [n, inH, inW, inC], output [n, outH, outW, outC],
/// filter taps fh x fw.
struct ConvDims {
  int64_t n, inH, inW, inC, outH, outW, outC, fh, fw;
};

/// Calls f(b, oy, ox, ky, kx, iy, ix) for every output pixel (b, oy, ox) and filter tap
/// (ky, kx) whose input cell (iy, ix) is inside the input (padding cells read as zeros, so
/// they are skipped).
template <class F>
void forEachTap(const ConvDims& d, const schema::Conv2DAttrs& a, F f) {
  for (int64_t b = 0; b < d.n; ++b)
    for (int64_t oy = 0; oy < d.outH; ++oy)
      for (int64_t ox = 0; ox < d.outW; ++ox)
        for (int64_t ky = 0; ky < d.fh; ++ky) {
          const int64_t iy = oy * a.strideH - a.padTop + ky * a.dilationH;
          if (iy < 0 || iy >= d.inH) continue;
          for (int64_t kx = 0; kx < d.fw; ++kx) {
            const int64_t ix = ox * a.strideW - a.padLeft + kx * a.dilationW;
            if (ix < 0 || ix >= d.inW) continue;
            f(b, oy, ox, ky, kx, iy, ix);
          }
        }
}

/// Dims from an input shape, an output shape (both NHWC) and a filter shape (HW..).
inline ConvDims convDims(const Shape& in, const Shape& out, const Shape& filter) {
  return {in[0], in[1], in[2], in[3], out[1], out[2], out[3], filter[0], filter[1]};
}

void registerConvBackpropKernels();

}  // namespace strata::reference
