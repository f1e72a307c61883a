// The cpu backend: oneDNN primitives (convolutions, pooling-free heavy ops) and OpenMP loops
// (elementwise, reductions, pooling, softmax, batch norm) on host memory. Kernels it does not
// have, and cases its kernels do not handle, run the reference kernels on the same memory
// (BackendOptions::kernelFallback), so it can be partial and still complete.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "strata/cpu.h"

#ifdef STRATA_CPU_BACKEND
#include "backends/cpu/common.h"
#include "core/engine_state.h"
#include "core/shape_util.h"
#include "strata/error.h"
#endif

namespace strata {

#ifdef STRATA_CPU_BACKEND

namespace cpu {
namespace {

std::atomic<int> gThreads{0};  // 0: not set yet

int envThreads() {
  if (const char* s = std::getenv("STRATA_NUM_THREADS")) {
    int n = std::atoi(s);
    if (n > 0) return n;
  }
  return 0;
}

class CpuBackend : public HostBackend {
 public:
  void deallocate(void* ptr, size_t bytes) override {
    forgetReorders(ptr);
    HostBackend::deallocate(ptr, bytes);
  }
  CpuBackend() {
    applyThreads();
    dnnlEngine();  // fails here (and the backend is skipped) if oneDNN cannot start
  }
  std::string description() const override {
    const dnnl_version_t* v = dnnl_version();
    return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
           " + OpenMP on the host, " + std::to_string(threads()) + " threads";
  }
};

}  // namespace

int threads() {
  int n = gThreads.load();
  if (n == 0) {
    n = envThreads();
    if (n == 0) n = omp_get_max_threads();
    int expected = 0;
    if (!gThreads.compare_exchange_strong(expected, n)) n = expected;
  }
  return n;
}

void applyThreads() {
  const int n = threads();
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

dnnl::engine& dnnlEngine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& dnnlStream() {
  // One stream per thread: oneDNN streams are not meant to be shared between threads.
  thread_local dnnl::stream s(dnnlEngine());
  return s;
}

namespace {
struct Reordered {
  uint64_t storageId;
  const void* source;
  dnnl::memory::desc desc;
  dnnl::memory mem;
};
constexpr size_t kMaxReorders = 512;  // a few models' worth of convolution weights
std::mutex reorderMu;
std::list<Reordered> reorders;  // most recently used first
}  // namespace

dnnl::memory reorderedWeights(const dnnl::memory& user, const dnnl::memory::desc& want, uint64_t storageId) {
  if (want == user.get_desc()) return user;
  auto reorder = [&] {
    dnnl::memory m(want, dnnlEngine());
    dnnl::reorder(user, m).execute(dnnlStream(), const_cast<dnnl::memory&>(user), m);
    return m;
  };
  if (storageId == 0) return reorder();
  std::lock_guard<std::mutex> lock(reorderMu);
  for (auto it = reorders.begin(); it != reorders.end(); ++it) {
    if (it->storageId == storageId && it->desc == want) {
      reorders.splice(reorders.begin(), reorders, it);
      return it->mem;
    }
  }
  reorders.push_front({storageId, user.get_data_handle(), want, reorder()});
  if (reorders.size() > kMaxReorders) reorders.pop_back();
  return reorders.front().mem;
}

void forgetReorders(const void* ptr) {
  std::lock_guard<std::mutex> lock(reorderMu);
  reorders.remove_if([ptr](const Reordered& r) { return r.source == ptr; });
}

void callReference(const char* name, const KernelCall& c) {
  static std::mutex mu;
  KernelFn fn = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& tables = detail::engine().kernelTables;
    auto it = tables.find("reference");
    const KernelId id = kernelId(name);
    if (it != tables.end() && static_cast<size_t>(id) < it->second.size()) fn = it->second[id];
  }
  if (!fn) throw Error(std::string("cpu backend: no reference kernel for '") + name + "'");
  static const bool trace = std::getenv("STRATA_CPU_TRACE") != nullptr;
  if (trace) std::fprintf(stderr, "[strata cpu] %s: case not handled, running the reference kernel\n", name);
  fn(c);
}

void appendActivation(dnnl::post_ops& po, Activation a) {
  using alg = dnnl::algorithm;
  switch (a) {
    case Activation::relu: po.append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f); break;
    case Activation::relu6: po.append_eltwise(1.f, alg::eltwise_clip_v2, 0.f, 6.f); break;
    case Activation::elu: po.append_eltwise(1.f, alg::eltwise_elu, 1.f, 0.f); break;
    case Activation::sigmoid: po.append_eltwise(1.f, alg::eltwise_logistic, 0.f, 0.f); break;
    default: break;
  }
}

bool channelBias(const KernelCall& c, const schema::FusedActivationAttrs& a) {
  if (!a.hasBias) return false;
  const Shape& bs = *c.in(2).shape;
  const Shape& os = *c.out().shape;
  if (bs.empty() || os.empty() || bs.back() != os.back()) return false;
  for (size_t i = 0; i + 1 < bs.size(); ++i)
    if (bs[i] != 1) return false;
  return bs.size() <= os.size();
}

void applyEpilogue(const KernelCall& c, const schema::FusedActivationAttrs& a, bool addBias) {
  const Shape& os = *c.out().shape;
  float* y = c.out().as<float>();
  const int64_t n = c.out().size;
  if (n == 0) return;
  size_t next = 2;
  const TensorView* bias = a.hasBias ? &c.in(next++) : nullptr;
  const TensorView* w = a.hasPreluWeights ? &c.in(next++) : nullptr;
  if (!addBias) bias = nullptr;
  const Activation act = a.activation;
  const float alpha = a.leakyreluAlpha;
  if (!bias && !w) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = activate(y[i], act, alpha, 0.f);
    return;
  }
  const int64_t C = os.back();
  auto perChannel = [&](const TensorView* t) {
    if (!t) return true;
    const Shape& s = *t->shape;
    if (s.size() > os.size()) return false;
    if (t->size == 1) return true;
    if (s.empty() || s.back() != C) return false;
    for (size_t i = 0; i + 1 < s.size(); ++i)
      if (s[i] != 1) return false;
    return true;
  };
  if (C > 0 && perChannel(bias) && perChannel(w)) {
    const float* bp = bias ? bias->as<float>() : nullptr;
    const float* wp = w ? w->as<float>() : nullptr;
    const bool bScalar = bias && bias->size == 1, wScalar = w && w->size == 1;
    const int64_t rows = n / C;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      float* yr = y + r * C;
      for (int64_t j = 0; j < C; ++j) {
        float v = yr[j];
        if (bp) v += bScalar ? bp[0] : bp[j];
        yr[j] = activate(v, act, alpha, wp ? (wScalar ? wp[0] : wp[j]) : 0.f);
      }
    }
    return;
  }
  std::vector<std::vector<int64_t>> strides{
      bias ? detail::broadcastStrides(*bias->shape, os) : std::vector<int64_t>(os.size(), 0),
      w ? detail::broadcastStrides(*w->shape, os) : std::vector<int64_t>(os.size(), 0)};
  detail::StridedIter it(os, std::move(strides));
  for (int64_t i = 0; i < n; ++i, it.next()) {
    float v = y[i];
    if (bias) v += bias->as<float>()[it.offsets()[0]];
    y[i] = activate(v, act, alpha, w ? w->as<float>()[it.offsets()[1]] : 0.f);
  }
}

namespace {
bool registered = [] {
  registerConvKernels();
  registerMatMulKernels();
  registerPoolKernels();
  registerNormalizationKernels();
  registerElementwiseKernels();
  registerReduceKernels();
  registerSliceKernels();
  registerBackend(kName, [] { return std::make_unique<CpuBackend>(); }, /*priority=*/10,
                  BackendOptions{.kernelFallback = "reference"});
  return true;
}();
}  // namespace

}  // namespace cpu

void setNumThreads(int n) {
  if (n < 1) n = 1;
  cpu::gThreads.store(n);
  omp_set_num_threads(n);
}
int getNumThreads() { return cpu::threads(); }

#else  // built without oneDNN/OpenMP: the settings exist and do nothing

void setNumThreads(int) {}
int getNumThreads() { return 1; }

#endif

}  // namespace strata
