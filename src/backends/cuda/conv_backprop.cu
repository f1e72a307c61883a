// The regular convolution's gradients on cuDNN: Conv2DBackpropInput (dy, filter) -> dx (also
// conv2dTranspose) and Conv2DBackpropFilter (x, dy) -> dfilter. Same plumbing as conv.cu: KRSC
// filters, a padded copy of x / dx where the op's padding is not symmetric, cached plans.
#include "backends/cuda/conv.cuh"

namespace strata::cuda::conv {
namespace {

using schema::Conv2DAttrs;

void chooseBackwardData(Plan& p) {
  int count = 0;
  STRATA_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnn(), &count));
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(std::max(count, 1));
  int got = 0;
  STRATA_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn(), p.d.w, p.d.y, p.d.conv, p.d.x, count, &got, perf.data()));
  p.algo = pickAlgorithm(perf.data(), got, p, "Conv2DBackpropInput");
  STRATA_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn(), p.d.w, p.d.y, p.d.conv, p.d.x,
                                                                  static_cast<cudnnConvolutionBwdDataAlgo_t>(p.algo),
                                                                  &p.workspace));
}

void chooseBackwardFilter(Plan& p) {
  int count = 0;
  STRATA_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnn(), &count));
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(std::max(count, 1));
  int got = 0;
  STRATA_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn(), p.d.x, p.d.y, p.d.conv, p.d.w, count, &got, perf.data()));
  p.algo = pickAlgorithm(perf.data(), got, p, "Conv2DBackpropFilter");
  STRATA_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnn(), p.d.x, p.d.y, p.d.conv, p.d.w,
                                                                    static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.algo),
                                                                    &p.workspace));
}

size_t windowBytes(const Geometry& g) { return static_cast<size_t>(g.n * g.ph * g.pw * g.c) * sizeof(float); }

// (dy, filter) -> dx
void conv2DBackpropInput(const KernelCall& c) {
  const TensorView &dy = c.in(0), &f = c.in(1), &dx = c.out();
  if (dx.size == 0) return;
  if (dy.size == 0 || f.size == 0) return zeroFill(dx);
  const Geometry g = geometry(*dx.shape, *dy.shape, *f.shape, c.attr<Conv2DAttrs>());
  if (isPointwise(g))  // dx [pixels, inC] = dy [pixels, outC] . filter^T [outC, inC]
    return rowMajorGemm(false, true, g.n * g.h * g.w, g.c, g.oc, dy.as<float>(), g.oc, f.as<float>(), g.oc,
                        dx.as<float>(), g.c);
  const std::shared_ptr<Plan> plan = cachedPlan(geometryKey(1, g), g, chooseBackwardData);
  std::unique_ptr<Scratch> filterTmp, window;
  const float* w = krscFilter(f, filterTmp);
  float* out = dx.as<float>();
  if (g.copied()) {  // cuDNN writes the gradient of the padded window; dx is its interior
    window = std::make_unique<Scratch>(windowBytes(g));
    out = window->as<float>();
  }
  Scratch ws(plan->workspace);
  const float one = 1.f, zero = 0.f;
  STRATA_CUDNN_CHECK(cudnnSetConvolutionMathType(plan->d.conv, convMathType()));
  STRATA_CUDNN_CHECK(cudnnConvolutionBackwardData(cudnn(), &one, plan->d.w, w, plan->d.y, dy.data, plan->d.conv,
                                                  static_cast<cudnnConvolutionBwdDataAlgo_t>(plan->algo), ws.get(),
                                                  ws.bytes(), &zero, plan->d.x, out));
  if (g.copied()) copyFromWindow(out, dx.as<float>(), g);
}

// (x, dy) -> dfilter (HWIO)
void conv2DBackpropFilter(const KernelCall& c) {
  const TensorView &x = c.in(0), &dy = c.in(1), &df = c.out();
  if (df.size == 0) return;
  if (x.size == 0 || dy.size == 0) return zeroFill(df);
  const Geometry g = geometry(*x.shape, *dy.shape, *df.shape, c.attr<Conv2DAttrs>());
  if (isPointwise(g))  // dfilter [inC, outC] = x^T [inC, pixels] . dy [pixels, outC]
    return rowMajorGemm(true, false, g.c, g.oc, g.n * g.h * g.w, x.as<float>(), g.c, dy.as<float>(), g.oc,
                        df.as<float>(), g.oc);
  const std::shared_ptr<Plan> plan = cachedPlan(geometryKey(2, g), g, chooseBackwardFilter);
  const float* xs = x.as<float>();
  std::unique_ptr<Scratch> window, krsc;
  if (g.copied()) {
    window = std::make_unique<Scratch>(windowBytes(g));
    copyToWindow(xs, window->as<float>(), g);
    xs = window->as<float>();
  }
  // cuDNN writes KRSC [outC, kh*kw*inC]; HWIO is its transpose (the same memory when either is 1).
  const int64_t rsc = g.kh * g.kw * g.c;
  const bool direct = rsc == 1 || g.oc == 1;
  float* out = df.as<float>();
  if (!direct) {
    krsc = std::make_unique<Scratch>(static_cast<size_t>(df.size) * sizeof(float));
    out = krsc->as<float>();
  }
  Scratch ws(plan->workspace);
  const float one = 1.f, zero = 0.f;
  STRATA_CUDNN_CHECK(cudnnSetConvolutionMathType(plan->d.conv, convMathType()));
  STRATA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(cudnn(), &one, plan->d.x, xs, plan->d.y, dy.data, plan->d.conv,
                                                    static_cast<cudnnConvolutionBwdFilterAlgo_t>(plan->algo), ws.get(),
                                                    ws.bytes(), &zero, plan->d.w, out));
  if (!direct) transpose(out, df.as<float>(), g.oc, rsc);
}

const KernelEntry kKernels[] = {
    {"Conv2DBackpropInput", conv2DBackpropInput},
    {"Conv2DBackpropFilter", conv2DBackpropFilter},
};

}  // namespace

void registerConvBackpropKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cuda::conv
