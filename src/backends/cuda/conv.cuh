// Shared by the cuda backend's convolution files: conv.cu (cuDNN forward, the plumbing below,
// registration), conv_backprop.cu (cuDNN backprops) and depthwise.cu (own depthwise kernels).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/kernels.cuh"
#include "core/schema/conv.h"

namespace strata::cuda::conv {

/// One convolution as cuDNN runs it. Input [n, h, w, c] (forward x, backprop dx), output
/// [n, oh, ow, oc] (forward y, backprop dy), filter taps kh x kw. cuDNN's legacy API pads
/// symmetrically, so when the op's padding is not (SAME with stride 2 puts the extra row at the
/// bottom), cuDNN sees a copy of the input of ph x pw cells whose row 0 / column 0 is the input's
/// row -top / column -left (zeros outside the input), padded symmetrically by padH / padW.
struct Geometry {
  int64_t n, h, w, c, oh, ow, oc, kh, kw;
  int sh, sw, dh, dw;
  int padH, padW;
  int64_t ph, pw, top, left;
  bool copied() const { return ph != h || pw != w || top != 0 || left != 0; }
};

/// A 1x1, stride-1, unpadded convolution (MobileNet's pointwise layers) is one matrix product
/// over the n*h*w pixels of the NHWC tensors with the HWIO filter read as [inC, outC]: cuBLAS
/// runs it with a few microseconds of host overhead, where a cuDNN 9 legacy call costs far more.
bool isPointwise(const Geometry& g);
/// Row-major C[m, n] = op(A) op(B) with the given leading dimensions (cuBLAS on the stream,
/// compute type from strata::cuda::math()).
void rowMajorGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float* c, int64_t ldc);

/// From the forward input's shape, the output's, the filter's (HW..) and the attributes.
Geometry geometry(const Shape& in, const Shape& out, const Shape& filter, const schema::Conv2DAttrs& a);

/// Cache key of a geometry for one kind of cuDNN call (includes the current math type).
std::vector<int64_t> geometryKey(int kind, const Geometry& g);

/// x [n, h, w, c] -> the copy cuDNN reads [n, ph, pw, c] (zeros outside x).
void copyToWindow(const float* x, float* xp, const Geometry& g);
/// The copy's gradient [n, ph, pw, c] -> dx [n, h, w, c] (zeros for cells the copy lacks).
void copyFromWindow(const float* xp, float* x, const Geometry& g);

/// out [cols, rows] = in [rows, cols] transposed (row-major).
void transpose(const float* in, float* out, int64_t rows, int64_t cols);

/// The HWIO filter `f` ([kh, kw, inC, outC]) in cuDNN's KRSC order ([outC, kh, kw, inC]):
/// cached per storage id, or reordered into `tmp` (no id, or during a CUDA graph capture).
const float* krscFilter(const TensorView& f, std::unique_ptr<Scratch>& tmp);

/// Zero-fills an output (a convolution over an empty axis sums nothing).
void zeroFill(const TensorView& t);

/// cuDNN descriptors of one geometry: x as cuDNN sees it (ph x pw), y, the KRSC filter and the
/// convolution (math type set on every use by the callers).
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  explicit Descriptors(const Geometry& g);
  ~Descriptors() { release(); }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;

 private:
  void release();
};

/// A cached cuDNN setup: descriptors plus the chosen algorithm (the enum of the call's kind)
/// and its workspace size.
struct Plan {
  explicit Plan(const Geometry& geo) : g(geo), d(geo) {}
  Geometry g;
  Descriptors d;
  int algo = 0;
  size_t workspace = 0;
};

/// The plan of `key`: made from `g` and completed by `choose` (the algorithm) on first use.
std::shared_ptr<Plan> cachedPlan(const std::vector<int64_t>& key, const Geometry& g,
                                 void (*choose)(Plan&));

/// "input [..], output [..], filter [..], strides [..], ..." for error messages.
std::string describe(const Geometry& g);

/// The first algorithm of cuDNN's heuristic ranking (a cudnnGet*Algorithm_v7 result) that
/// runs and needs at most 1 GiB of workspace, else the first that runs. The ranking's own math
/// type is ignored: the descriptor's (convMathType(), set before every call) decides whether
/// tensor cores may be used, so strict fp32 stays FMA-only.
template <class Perf>
int pickAlgorithm(const Perf* perf, int count, const Plan& p, const char* what) {
  constexpr size_t kMaxWorkspace = size_t{1} << 30;
  int fallback = -1;
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (perf[i].memory <= kMaxWorkspace) return static_cast<int>(perf[i].algo);
    if (fallback < 0) fallback = i;
  }
  if (fallback >= 0) return static_cast<int>(perf[fallback].algo);
  throw Error(std::string("cuda ") + what + ": cuDNN offers no algorithm for " + describe(p.g));
}

void registerConvBackpropKernels();  // conv_backprop.cu
void registerDepthwiseKernels();     // depthwise.cu

}  // namespace strata::cuda::conv
