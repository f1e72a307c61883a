// The cuda backend: NVIDIA GPUs through the CUDA runtime, cuBLAS/cuBLASLt and cuDNN 9. Device
// memory comes from a caching allocator (allocator.h); every kernel and copy runs on one stream
// per process; downloads go through pinned host memory. Kernels live in one .cu file per op
// family. Without the toolkit at build time this file is only the stub API of strata/cuda.h.
#include "strata/cuda.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "strata/engine.h"

#ifdef STRATA_CUDA_BACKEND
#include <memory>
#include <mutex>
#include <unordered_map>

#include "backends/cuda/allocator.h"
#include "backends/cuda/common.h"
#include "backends/cuda/index_check.h"
#include "strata/error.h"
#endif

namespace strata::cuda {

namespace {
std::atomic<int> gMath{-1};  // -1: not read from STRATA_CUDA_MATH yet
std::atomic<int> gGraphs{-1};

Math mathFromEnv() {
  const char* s = std::getenv("STRATA_CUDA_MATH");
  if (!s || !*s || std::strcmp(s, "fp32") == 0) return Math::fp32;
  if (std::strcmp(s, "tf32") == 0) return Math::tf32;
  if (std::strcmp(s, "fp16") == 0) return Math::fp16;
  if (std::strcmp(s, "bf16") == 0) return Math::bf16;
  throw Error(std::string("STRATA_CUDA_MATH='") + s + "': expected fp32, tf32, fp16 or bf16");
}
}  // namespace

void setMath(Math m) { gMath = static_cast<int>(m); }
Math math() {
  int m = gMath.load();
  if (m < 0) {
    m = static_cast<int>(mathFromEnv());
    gMath = m;
  }
  return static_cast<Math>(m);
}

void setGraphsEnabled(bool on) { gGraphs = on ? 1 : 0; }
bool graphsEnabled() {
  int g = gGraphs.load();
  if (g < 0) {
    const char* s = std::getenv("STRATA_CUDA_GRAPHS");
    g = (s && std::strcmp(s, "0") == 0) ? 0 : 1;
    gGraphs = g;
  }
  return g == 1;
}

std::string unavailableReason() {
#ifndef STRATA_CUDA_BACKEND
  return "Strata was built without the CUDA toolkit (nvcc and cuDNN not found at configure time)";
#else
  for (const auto& s : backendStatus())
    if (s.name == kName) return s.available ? "" : s.reason;
  return "the cuda backend is not registered";
#endif
}

bool available() { return unavailableReason().empty(); }

#ifndef STRATA_CUDA_BACKEND

MemoryStats memoryStats() { return {}; }
void emptyCache() {}

#else

void fail(const char* call, const char* file, int line, const std::string& message) {
  const char* base = std::strrchr(file, '/');
  throw Error(std::string("cuda: ") + call + " failed: " + message + " (" + (base ? base + 1 : file) + ":" +
              std::to_string(line) + ")");
}

namespace {

// Device state, created by the backend's factory (the first use of "cuda").
struct Device {
  int index = 0;
  cudaDeviceProp props{};
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublasLt = nullptr;
  cudnnHandle_t cudnn = nullptr;
  void* cublasWorkspace = nullptr;
  // Pinned staging buffer for synchronous downloads, grown on demand.
  void* staging = nullptr;
  size_t stagingBytes = 0;
  std::mutex stagingMu;
};
Device* gDevice = nullptr;

Device& device() {
  if (!gDevice) throw Error("cuda: the backend is not initialized (setBackend(\"cuda\") first)");
  return *gDevice;
}

constexpr size_t kCublasWorkspace = size_t{32} << 20;

class CudaBackend : public Backend {
 public:
  CudaBackend() {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      throw Error(std::string("no CUDA device: ") + cudaGetErrorString(e));
    }
    if (count == 0) throw Error("no CUDA device: the driver reports none");
    auto d = std::make_unique<Device>();
    STRATA_CUDA_CHECK(cudaSetDevice(0));
    STRATA_CUDA_CHECK(cudaGetDeviceProperties(&d->props, 0));
    STRATA_CUDA_CHECK(cudaStreamCreateWithFlags(&d->stream, cudaStreamNonBlocking));
    STRATA_CUBLAS_CHECK(cublasCreate(&d->cublas));
    STRATA_CUBLAS_CHECK(cublasSetStream(d->cublas, d->stream));
    STRATA_CUDA_CHECK(cudaMalloc(&d->cublasWorkspace, kCublasWorkspace));
    STRATA_CUBLAS_CHECK(cublasSetWorkspace(d->cublas, d->cublasWorkspace, kCublasWorkspace));
    STRATA_CUBLAS_CHECK(cublasLtCreate(&d->cublasLt));
    STRATA_CUDNN_CHECK(cudnnCreate(&d->cudnn));
    STRATA_CUDNN_CHECK(cudnnSetStream(d->cudnn, d->stream));
    gDevice = d.release();
  }
  // The device state outlives the backend object: tensors freed during static destruction
  // still return their blocks, and the driver reclaims everything at exit.
  void* allocate(size_t bytes) override { return allocator().allocate(bytes); }
  void deallocate(void* ptr, size_t) override {
    forgetReorders(ptr);
    allocator().release(ptr);
  }
  void upload(void* dst, const void* src, size_t bytes) override {
    // From pageable memory the driver stages the source before returning, so `src` may be
    // reused at once; the copy is ordered with the kernels on the stream.
    STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, device().stream));
  }
  void download(void* dst, const void* src, size_t bytes) override {
    Device& d = device();
    std::lock_guard<std::mutex> lock(d.stagingMu);
    constexpr size_t kMaxStaging = size_t{64} << 20;
    size_t done = 0;
    while (done < bytes) {
      const size_t n = std::min(bytes - done, kMaxStaging);
      if (d.stagingBytes < n) {
        if (d.staging) cudaFreeHost(d.staging);
        d.staging = nullptr;
        d.stagingBytes = 0;
        STRATA_CUDA_CHECK(cudaMallocHost(&d.staging, n));
        d.stagingBytes = n;
      }
      STRATA_CUDA_CHECK(cudaMemcpyAsync(d.staging, static_cast<const char*>(src) + done, n, cudaMemcpyDeviceToHost, d.stream));
      STRATA_CUDA_CHECK(cudaStreamSynchronize(d.stream));
      std::memcpy(static_cast<char*>(dst) + done, d.staging, n);
      done += n;
    }
    throwIndexFault();  // a gather with a bad index upstream of this data
  }
  std::function<void()> downloadAsync(void* dst, const void* src, size_t bytes) override {
    Device& d = device();
    void* pinned = nullptr;
    STRATA_CUDA_CHECK(cudaMallocHost(&pinned, bytes));
    cudaEvent_t done = nullptr;
    STRATA_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    STRATA_CUDA_CHECK(cudaMemcpyAsync(pinned, src, bytes, cudaMemcpyDeviceToHost, d.stream));
    STRATA_CUDA_CHECK(cudaEventRecord(done, d.stream));
    return [=] {
      cudaError_t e = cudaEventSynchronize(done);
      if (e == cudaSuccess) std::memcpy(dst, pinned, bytes);
      cudaEventDestroy(done);
      cudaFreeHost(pinned);
      STRATA_CUDA_CHECK(e);
      throwIndexFault();
    };
  }
  bool deviceMemory(int64_t& reserved, int64_t& free) const override {
    size_t f = 0, t = 0;
    cudaMemGetInfo(&f, &t);
    reserved = allocator().bytesReserved();
    free = static_cast<int64_t>(f);
    return true;
  }
  void copyWithin(void* dst, const void* src, size_t bytes) override {
    STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, device().stream));
  }
  void synchronize() override {
    STRATA_CUDA_CHECK(cudaStreamSynchronize(device().stream));
    throwIndexFault();
  }

  // CUDA graphs. Relaxed capture mode: a cache miss may still cudaMalloc during the capture
  // (the block then belongs to the graph's private pool).
  bool canCapture() const override { return graphsEnabled(); }
  bool beginCapture(uint64_t id) override {
    if (!graphsEnabled()) return false;
    allocator().beginPrivatePool(id);
    if (cudaStreamBeginCapture(device().stream, cudaStreamCaptureModeRelaxed) != cudaSuccess) {
      (void)cudaGetLastError();
      allocator().endPrivatePool();
      allocator().releasePool(id);
      return false;
    }
    return true;
  }
  bool endCapture(uint64_t id) override {
    allocator().endPrivatePool();
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(device().stream, &graph);
    cudaGraphExec_t exec = nullptr;
    if (e == cudaSuccess && graph) e = cudaGraphInstantiate(&exec, graph, 0);
    if (graph) cudaGraphDestroy(graph);
    if (e != cudaSuccess || !exec) {
      (void)cudaGetLastError();
      allocator().releasePool(id);
      return false;
    }
    std::lock_guard<std::mutex> lock(graphsMu_);
    graphs_[id] = exec;
    return true;
  }
  void replay(uint64_t id) override {
    cudaGraphExec_t exec = nullptr;
    {
      std::lock_guard<std::mutex> lock(graphsMu_);
      auto it = graphs_.find(id);
      if (it == graphs_.end()) throw Error("cuda: no captured graph " + std::to_string(id));
      exec = it->second;
    }
    STRATA_CUDA_CHECK(cudaGraphLaunch(exec, device().stream));
  }
  void dropGraph(uint64_t id) override {
    cudaGraphExec_t exec = nullptr;
    {
      std::lock_guard<std::mutex> lock(graphsMu_);
      auto it = graphs_.find(id);
      if (it != graphs_.end()) {
        exec = it->second;
        graphs_.erase(it);
      }
    }
    if (exec) {
      cudaStreamSynchronize(device().stream);  // a queued replay may still read the pool
      cudaGraphExecDestroy(exec);
    }
    allocator().releasePool(id);
  }
  std::string description() const override {
    const Device& d = *gDevice;
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    return std::string(d.props.name) + " (sm_" + std::to_string(d.props.major) + std::to_string(d.props.minor) + ", " +
           std::to_string(d.props.totalGlobalMem >> 20) + " MiB, " + std::to_string(d.props.multiProcessorCount) +
           " SMs), CUDA runtime " + std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10) +
           ", driver " + std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10) + ", cuDNN " +
           std::to_string(cudnnGetVersion()) + ", math " + mathName(math());
  }
 private:
  std::mutex graphsMu_;
  std::unordered_map<uint64_t, cudaGraphExec_t> graphs_;

  static const char* mathName(Math m) {
    switch (m) {
      case Math::fp32: return "fp32";
      case Math::tf32: return "tf32";
      case Math::fp16: return "fp16";
      case Math::bf16: return "bf16";
    }
    return "?";
  }
};

bool registered = [] {
  registerElementwiseKernels();
  registerReduceKernels();
  registerShapeKernels();
  registerSliceKernels();
  registerIndexingKernels();
  registerMatMulKernels();
  registerConvKernels();
  registerPoolKernels();
  registerNormalizationKernels();
  registerImageKernels();
  registerRandomKernels();
  registerQuantizedKernels();
  // Highest priority: the GPU is the default whenever a device and driver are present.
  registerBackend(kName, [] { return std::make_unique<CudaBackend>(); }, /*priority=*/20);
  return true;
}();

}  // namespace

cudaStream_t stream() { return device().stream; }
cublasHandle_t cublas() { return device().cublas; }
cublasLtHandle_t cublasLt() { return device().cublasLt; }
cudnnHandle_t cudnn() { return device().cudnn; }
int multiprocessors() { return device().props.multiProcessorCount; }

cublasComputeType_t gemmComputeType() {
  switch (math()) {
    case Math::fp32: return CUBLAS_COMPUTE_32F;
    case Math::tf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case Math::fp16: return CUBLAS_COMPUTE_32F_FAST_16F;
    case Math::bf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
  }
  return CUBLAS_COMPUTE_32F;
}
cudnnMathType_t convMathType() {
  // CUDNN_DEFAULT_MATH may pick TF32 kernels for float32 data on Ampere and later.
  return math() == Math::fp32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

Scratch::Scratch(size_t bytes) : bytes_(bytes) {
  if (bytes) ptr_ = allocator().allocate(bytes);
}
Scratch::~Scratch() { allocator().release(ptr_); }

MemoryStats memoryStats() {
  MemoryStats m;
  if (!gDevice) return m;
  size_t f = 0, t = 0;
  cudaMemGetInfo(&f, &t);
  m.bytesInUse = allocator().bytesInUse();
  m.bytesReserved = allocator().bytesReserved();
  m.bytesFree = static_cast<int64_t>(f);
  m.bytesTotal = static_cast<int64_t>(t);
  m.numAllocs = allocator().numAllocs();
  return m;
}

void emptyCache() {
  if (gDevice) {
    cudaStreamSynchronize(gDevice->stream);
    allocator().emptyCache();
  }
}

#endif  // STRATA_CUDA_BACKEND

}  // namespace strata::cuda
