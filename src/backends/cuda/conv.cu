// Convolutions on cuDNN 9's legacy API: Conv2D and FusedConv2D here (plus the shared plumbing
// of conv.cuh), the backprops in conv_backprop.cu, the depthwise kernels in depthwise.cu.
// Tensors stay NHWC; cuDNN wants KRSC filters, so each HWIO filter is transposed once per
// weight storage (cached by TensorView::storageId: storages are immutable and ids never reused,
// dropped by forgetReorders when the storage's block is freed). Descriptors and the algorithm
// (cuDNN's v7 heuristics) are cached per geometry and math type.
#include <algorithm>
#include <climits>
#include <map>
#include <mutex>
#include <unordered_map>

#include "backends/cuda/conv.cuh"
#include "backends/cuda/epilogue.cuh"

namespace strata::cuda {
namespace conv {

using schema::Conv2DAttrs;

// ---- geometry ----------------------------------------------------------------------------

namespace {

// One spatial axis as cuDNN runs it: symmetric `pad` on a window of `size` cells starting
// `before` cells ahead of the input's first cell.
struct Axis {
  int pad;
  int64_t size, before;
};

Axis planAxis(int64_t in, int64_t out, int64_t k, int stride, int dil, int padBefore) {
  const int64_t keff = (k - 1) * dil + 1;
  // cuDNN floors like the op did, so the symmetric padBefore often gives the right size as is.
  const int64_t span = in + 2 * static_cast<int64_t>(padBefore) - keff;
  if (span >= 0 && span / stride + 1 == out) return {padBefore, in, 0};
  // Padding needed past the input's end (negative: cells no output reads); the part both
  // sides share stays cuDNN's, the rest is materialized in the copy.
  const int64_t after = (out - 1) * stride + keff - in - padBefore;
  const int64_t p = std::min<int64_t>(padBefore, std::max<int64_t>(after, 0));
  return {static_cast<int>(p), in + (padBefore - p) + (after - p), padBefore - p};
}

}  // namespace

Geometry geometry(const Shape& in, const Shape& out, const Shape& f, const Conv2DAttrs& a) {
  Geometry g{};
  g.n = in[0], g.h = in[1], g.w = in[2], g.c = in[3];
  g.oh = out[1], g.ow = out[2], g.oc = out[3];
  g.kh = f[0], g.kw = f[1];
  g.sh = a.strideH, g.sw = a.strideW, g.dh = a.dilationH, g.dw = a.dilationW;
  const Axis y = planAxis(g.h, g.oh, g.kh, g.sh, g.dh, a.padTop);
  const Axis x = planAxis(g.w, g.ow, g.kw, g.sw, g.dw, a.padLeft);
  g.padH = y.pad, g.ph = y.size, g.top = y.before;
  g.padW = x.pad, g.pw = x.size, g.left = x.before;
  // The legacy descriptors take int sizes and strides.
  if (g.n * g.ph * g.pw * g.c >= INT_MAX || g.n * g.oh * g.ow * g.oc >= INT_MAX || g.kh * g.kw * g.c * g.oc >= INT_MAX)
    throw Error("cuda conv: tensors of 2^31 or more elements are not supported (input " + shapeString(in) +
                ", output " + shapeString(out) + ", filter " + shapeString(f) + ")");
  return g;
}

std::vector<int64_t> geometryKey(int kind, const Geometry& g) {
  return {kind, g.n,    g.h,    g.w,  g.c,  g.oh, g.ow, g.oc,  g.kh,   g.kw, g.sh,
          g.sw, g.dh,   g.dw,   g.padH, g.padW, g.ph, g.pw, g.top, g.left, static_cast<int64_t>(convMathType())};
}

// ---- copies ------------------------------------------------------------------------------

void copyToWindow(const float* x, float* xp, const Geometry& g) {
  const int64_t h = g.h, w = g.w, c = g.c, ph = g.ph, pw = g.pw, top = g.top, left = g.left;
  forEach(g.n * ph * pw * c, [=] __device__(int64_t i) {
    const int64_t ch = i % c;
    int64_t r = i / c;
    const int64_t px = r % pw;
    r /= pw;
    const int64_t py = r % ph;
    const int64_t b = r / ph;
    const int64_t sy = py - top, sx = px - left;
    xp[i] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? x[((b * h + sy) * w + sx) * c + ch] : 0.f;
  });
}

void copyFromWindow(const float* xp, float* x, const Geometry& g) {
  const int64_t h = g.h, w = g.w, c = g.c, ph = g.ph, pw = g.pw, top = g.top, left = g.left;
  forEach(g.n * h * w * c, [=] __device__(int64_t i) {
    const int64_t ch = i % c;
    int64_t r = i / c;
    const int64_t ix = r % w;
    r /= w;
    const int64_t iy = r % h;
    const int64_t b = r / h;
    const int64_t py = iy + top, px = ix + left;
    x[i] = (py >= 0 && py < ph && px >= 0 && px < pw) ? xp[((b * ph + py) * pw + px) * c + ch] : 0.f;
  });
}

namespace {

constexpr int kTile = 32;

// 32x32 tiles through shared memory (coalesced reads and writes), one tile per block-step.
__global__ void transposeKernel(const float* __restrict__ in, float* __restrict__ out, int64_t rows, int64_t cols) {
  __shared__ float tile[kTile][kTile + 1];
  const int64_t tilesC = (cols + kTile - 1) / kTile;
  const int64_t tiles = tilesC * ((rows + kTile - 1) / kTile);
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t r0 = (t / tilesC) * kTile, c0 = (t % tilesC) * kTile;
    for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
      const int64_t r = r0 + k, col = c0 + threadIdx.x;
      if (r < rows && col < cols) tile[k][threadIdx.x] = in[r * cols + col];
    }
    __syncthreads();
    for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
      const int64_t col = c0 + k, r = r0 + threadIdx.x;
      if (r < rows && col < cols) out[col * rows + r] = tile[threadIdx.x][k];
    }
    __syncthreads();
  }
}

}  // namespace

void transpose(const float* in, float* out, int64_t rows, int64_t cols) {
  const int64_t tiles = ((rows + kTile - 1) / kTile) * ((cols + kTile - 1) / kTile);
  if (tiles == 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>(tiles, static_cast<int64_t>(multiprocessors()) * 16));
  transposeKernel<<<blocks, dim3(kTile, 8), 0, stream()>>>(in, out, rows, cols);
  STRATA_CUDA_LAUNCHED();
}

void zeroFill(const TensorView& t) {
  if (t.size > 0) STRATA_CUDA_CHECK(cudaMemsetAsync(t.data, 0, static_cast<size_t>(t.size) * dtypeSize(t.dtype), stream()));
}

// ---- reordered filters -------------------------------------------------------------------

namespace {

struct Reordered {
  const void* source = nullptr;
  std::unique_ptr<Scratch> buf;
};
struct ReorderCache {
  std::mutex mu;
  std::unordered_map<uint64_t, Reordered> byId;
  std::unordered_map<const void*, uint64_t> bySource;  // storage pointer -> id
};
// Never destroyed: storages freed during static destruction still call forgetReorders.
ReorderCache& reorders() {
  static ReorderCache* cache = new ReorderCache;
  return *cache;
}

bool capturing() {
  cudaStreamCaptureStatus s = cudaStreamCaptureStatusNone;
  STRATA_CUDA_CHECK(cudaStreamIsCapturing(stream(), &s));
  return s != cudaStreamCaptureStatusNone;
}

}  // namespace

const float* krscFilter(const TensorView& f, std::unique_ptr<Scratch>& tmp) {
  const Shape& s = *f.shape;
  const int64_t rows = s[0] * s[1] * s[2], cols = s[3];
  if (rows == 1 || cols == 1) return f.as<float>();  // HWIO is KRSC already
  const size_t bytes = static_cast<size_t>(f.size) * sizeof(float);
  // Without an id there is nothing to key on; during a graph capture the transpose would only
  // run at replay, so a cached copy could be read before it is written: reorder privately.
  if (f.storageId == 0 || capturing()) {
    tmp = std::make_unique<Scratch>(bytes);
    transpose(f.as<float>(), tmp->as<float>(), rows, cols);
    return tmp->as<float>();
  }
  ReorderCache& rc = reorders();
  {
    std::lock_guard<std::mutex> lock(rc.mu);
    auto it = rc.byId.find(f.storageId);
    if (it != rc.byId.end()) return it->second.buf->as<float>();
  }
  // Allocated and queued outside the lock (an allocation may empty the allocator's cache).
  Reordered r{f.data, std::make_unique<Scratch>(bytes)};
  transpose(f.as<float>(), r.buf->as<float>(), rows, cols);
  const float* out = r.buf->as<float>();
  std::unique_ptr<Scratch> stale;  // freed after the lock is released
  std::lock_guard<std::mutex> lock(rc.mu);
  if (auto it = rc.byId.find(f.storageId); it != rc.byId.end()) {  // another thread won the race
    stale = std::move(r.buf);
    return it->second.buf->as<float>();
  }
  // A pointer names one live storage; an entry still under it belonged to a storage whose
  // release was not reported (should not happen), so replace it.
  if (auto old = rc.bySource.find(f.data); old != rc.bySource.end()) {
    auto e = rc.byId.find(old->second);
    if (e != rc.byId.end()) {
      stale = std::move(e->second.buf);
      rc.byId.erase(e);
    }
    rc.bySource.erase(old);
  }
  rc.byId.emplace(f.storageId, std::move(r));
  rc.bySource.emplace(f.data, f.storageId);
  return out;
}

// ---- descriptors and plans ---------------------------------------------------------------

Descriptors::Descriptors(const Geometry& g) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  try {
    STRATA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    STRATA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    STRATA_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    STRATA_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    STRATA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, i(g.n), i(g.c), i(g.ph), i(g.pw)));
    STRATA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, i(g.n), i(g.oc), i(g.oh), i(g.ow)));
    STRATA_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, i(g.oc), i(g.c), i(g.kh), i(g.kw)));
    STRATA_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, g.padH, g.padW, g.sh, g.sw, g.dh, g.dw,
                                                       CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    STRATA_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, convMathType()));
    int n = 0, c = 0, h = 0, wd = 0;
    STRATA_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv, x, w, &n, &c, &h, &wd));
    if (n != g.n || c != g.oc || h != g.oh || wd != g.ow)
      throw Error("cuda conv: cuDNN's output [" + std::to_string(n) + ", " + std::to_string(h) + ", " +
                  std::to_string(wd) + ", " + std::to_string(c) + "] differs from the op's (" + describe(g) + ")");
  } catch (...) {
    release();
    throw;
  }
}

void Descriptors::release() {
  if (conv) cudnnDestroyConvolutionDescriptor(conv);
  if (w) cudnnDestroyFilterDescriptor(w);
  if (y) cudnnDestroyTensorDescriptor(y);
  if (x) cudnnDestroyTensorDescriptor(x);
  conv = nullptr, w = nullptr, y = nullptr, x = nullptr;
}

std::shared_ptr<Plan> cachedPlan(const std::vector<int64_t>& key, const Geometry& g, void (*choose)(Plan&)) {
  struct Plans {
    std::mutex mu;
    std::map<std::vector<int64_t>, std::shared_ptr<Plan>> byKey;
  };
  static Plans* cache = new Plans;  // never destroyed: no cuDNN calls during static destruction
  auto& plans = cache->byKey;
  std::lock_guard<std::mutex> lock(cache->mu);
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  auto p = std::make_shared<Plan>(g);
  choose(*p);
  plans.emplace(key, p);
  return p;
}

std::string describe(const Geometry& g) {
  auto dims = [](std::initializer_list<int64_t> v) {
    std::string s = "[";
    for (int64_t d : v) s += (s.size() > 1 ? ", " : "") + std::to_string(d);
    return s + "]";
  };
  return "input " + dims({g.n, g.h, g.w, g.c}) + ", output " + dims({g.n, g.oh, g.ow, g.oc}) + ", filter " +
         dims({g.kh, g.kw, g.c, g.oc}) + ", strides " + dims({g.sh, g.sw}) + ", dilations " + dims({g.dh, g.dw}) +
         ", cuDNN pads " + dims({g.padH, g.padW}) + " on a " + dims({g.ph, g.pw}) + " window";
}

// ---- pointwise convolutions as GEMMs --------------------------------------------------------

bool isPointwise(const Geometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.oh == g.h && g.ow == g.w && !g.copied() &&
         g.padH == 0 && g.padW == 0 && g.n * g.h * g.w < (int64_t{1} << 31) && g.c < (int64_t{1} << 31) &&
         g.oc < (int64_t{1} << 31);
}

void rowMajorGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float* c, int64_t ldc) {
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  const float one = 1.f, zero = 0.f;
  STRATA_CUBLAS_CHECK(cublasGemmEx(cublas(), transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one, b, CUDA_R_32F,
                                   static_cast<int>(ldb), a, CUDA_R_32F, static_cast<int>(lda), &zero, c, CUDA_R_32F,
                                   static_cast<int>(ldc), gemmComputeType(), CUBLAS_GEMM_DEFAULT));
}

// ---- forward -----------------------------------------------------------------------------

namespace {

void chooseForward(Plan& p) {
  int count = 0;
  STRATA_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(cudnn(), &count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(count, 1));
  int got = 0;
  STRATA_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(cudnn(), p.d.x, p.d.w, p.d.conv, p.d.y, count, &got, perf.data()));
  p.algo = pickAlgorithm(perf.data(), got, p, "Conv2D");
  STRATA_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(cudnn(), p.d.x, p.d.w, p.d.conv, p.d.y,
                                                             static_cast<cudnnConvolutionFwdAlgo_t>(p.algo), &p.workspace));
}

void forward(const KernelCall& c, const Conv2DAttrs& a, const schema::FusedActivationAttrs* fused) {
  const TensorView& y = c.out();
  if (y.size == 0) return;
  if (c.in(0).size == 0 || c.in(1).size == 0) {  // no input channels or taps: the product is 0
    zeroFill(y);
  } else if (const Geometry g = geometry(*c.in(0).shape, *y.shape, *c.in(1).shape, a); isPointwise(g)) {
    // y [pixels, outC] = x [pixels, inC] . filter [inC, outC]
    rowMajorGemm(false, false, g.n * g.h * g.w, g.oc, g.c, c.in(0).as<float>(), g.c, c.in(1).as<float>(), g.oc,
                 y.as<float>(), g.oc);
  } else {
    const std::shared_ptr<Plan> plan = cachedPlan(geometryKey(0, g), g, chooseForward);
    std::unique_ptr<Scratch> filterTmp, xTmp;
    const float* w = krscFilter(c.in(1), filterTmp);
    const float* x = c.in(0).as<float>();
    if (g.copied()) {
      xTmp = std::make_unique<Scratch>(static_cast<size_t>(g.n * g.ph * g.pw * g.c) * sizeof(float));
      copyToWindow(x, xTmp->as<float>(), g);
      x = xTmp->as<float>();
    }
    Scratch ws(plan->workspace);
    const float one = 1.f, zero = 0.f;
    STRATA_CUDNN_CHECK(cudnnSetConvolutionMathType(plan->d.conv, convMathType()));
    STRATA_CUDNN_CHECK(cudnnConvolutionForward(cudnn(), &one, plan->d.x, x, plan->d.w, w, plan->d.conv,
                                               static_cast<cudnnConvolutionFwdAlgo_t>(plan->algo), ws.get(), ws.bytes(),
                                               &zero, plan->d.y, y.data));
  }
  if (fused) applyFusedEpilogue(c, *fused, y.as<float>(), *y.shape, 2);
}

void conv2D(const KernelCall& c) { forward(c, c.attr<Conv2DAttrs>(), nullptr); }
void fusedConv2D(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedConv2DAttrs>();
  forward(c, at.conv, &at.fused);
}

const KernelEntry kKernels[] = {
    {"Conv2D", conv2D},
    {"FusedConv2D", fusedConv2D},
};

}  // namespace
}  // namespace conv

void registerConvKernels() {
  registerKernels(kName, conv::kKernels);
  conv::registerConvBackpropKernels();
  conv::registerDepthwiseKernels();
}

void forgetReorders(const void* ptr) {
  std::unique_ptr<Scratch> dropped;  // freed after the lock is released
  conv::ReorderCache& rc = conv::reorders();
  std::lock_guard<std::mutex> lock(rc.mu);
  auto src = rc.bySource.find(ptr);
  if (src == rc.bySource.end()) return;
  auto it = rc.byId.find(src->second);
  if (it != rc.byId.end()) {
    dropped = std::move(it->second.buf);
    rc.byId.erase(it);
  }
  rc.bySource.erase(src);
}

}  // namespace strata::cuda
