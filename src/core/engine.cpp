// The engine: backend registry, kernel dispatch, memory accounting, scopes and profiling.
#include "core/engine.h"

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include "core/engine_state.h"

namespace strata {
namespace detail {

Engine& engine() {
  static Engine* e = new Engine();  // leaked on purpose: tensors in statics may outlive main
  return *e;
}

// ---- kernel names and tables ------------------------------------------------------------

namespace {
struct KernelNames {
  std::unordered_map<std::string, KernelId> ids;
  std::vector<std::string> names;
};
KernelNames& kernelNames() {
  static KernelNames* k = new KernelNames();
  return *k;
}
}  // namespace

std::vector<KernelFn>& kernelTable(const std::string& backend) {
  return engine().kernelTables[backend];
}

}  // namespace detail

using detail::engine;

KernelId kernelId(std::string_view name) {
  auto& k = detail::kernelNames();
  auto it = k.ids.find(std::string(name));
  if (it != k.ids.end()) return it->second;
  KernelId id = static_cast<KernelId>(k.names.size());
  k.names.emplace_back(name);
  k.ids.emplace(std::string(name), id);
  return id;
}

const std::string& kernelName(KernelId id) { return detail::kernelNames().names.at(id); }

std::vector<std::string> allKernelNames() { return detail::kernelNames().names; }

void registerKernel(std::string_view backend, std::string_view kernel, KernelFn fn) {
  KernelId id = kernelId(kernel);
  auto& table = detail::kernelTable(std::string(backend));
  if (static_cast<size_t>(id) >= table.size()) table.resize(id + 1, nullptr);
  table[id] = fn;
}

void registerKernels(std::string_view backend, std::span<const KernelEntry> table) {
  for (const auto& e : table) registerKernel(backend, e.name, e.fn);
}

bool hasKernel(std::string_view backend, std::string_view kernel) {
  auto& tables = engine().kernelTables;
  auto it = tables.find(std::string(backend));
  if (it == tables.end()) return false;
  KernelId id = kernelId(kernel);
  return static_cast<size_t>(id) < it->second.size() && it->second[id] != nullptr;
}

bool registerBackend(const std::string& name, BackendFactory factory, int priority,
                     BackendOptions options) {
  auto& e = engine();
  for (auto& b : e.backends)
    if (b->name == name) return false;
  auto rec = std::make_unique<detail::BackendRecord>();
  rec->name = name;
  rec->factory = std::move(factory);
  rec->priority = priority;
  rec->options = std::move(options);
  e.backends.push_back(std::move(rec));
  std::stable_sort(e.backends.begin(), e.backends.end(),
                   [](const auto& a, const auto& b) { return a->priority > b->priority; });
  return true;
}

namespace detail {

// ---- backend lifecycle ------------------------------------------------------------------

BackendRecord* findBackend(const std::string& name) {
  for (auto& b : engine().backends)
    if (b->name == name) return b.get();
  return nullptr;
}

bool initialize(BackendRecord& b) {
  if (b.instance) return true;
  if (b.failed) return false;
  try {
    b.instance = b.factory();
    if (!b.instance) throw Error("factory returned no backend");
  } catch (const std::exception& ex) {
    b.failed = true;
    b.reason = ex.what();
    return false;
  }
  return true;
}

std::string availabilitySummary() {
  std::string s;
  for (auto& b : engine().backends) {
    if (!s.empty()) s += ", ";
    s += b->name;
    if (!initialize(*b)) s += " (unavailable: " + b->reason + ")";
  }
  return s.empty() ? "none" : s;
}

BackendRecord& requireBackend(const std::string& name) {
  BackendRecord* b = findBackend(name);
  if (!b) throw Error("backend '" + name + "' is not registered; backends: " + availabilitySummary());
  if (!initialize(*b))
    throw Error("backend '" + name + "' failed to initialize: " + b->reason +
                "; backends: " + availabilitySummary());
  return *b;
}

BackendRecord& activeBackend() {
  auto& e = engine();
  if (!e.active) e.active = &requireBackend(defaultBackend());
  return *e.active;
}

void synchronizeActive() {
  if (engine().active) engine().active->instance->synchronize();
}

KernelFn findKernel(BackendRecord& b, KernelId id) {
  auto lookup = [id](const std::string& backend) -> KernelFn {
    auto& tables = engine().kernelTables;
    auto it = tables.find(backend);
    if (it == tables.end() || static_cast<size_t>(id) >= it->second.size()) return nullptr;
    return it->second[id];
  };
  if (KernelFn fn = lookup(b.name)) return fn;
  if (!b.options.kernelFallback.empty() && b.instance->hostMemory())
    if (KernelFn fn = lookup(b.options.kernelFallback)) return fn;
  std::string have;
  for (auto& [name, table] : engine().kernelTables)
    if (static_cast<size_t>(id) < table.size() && table[id]) have += (have.empty() ? "" : ", ") + name;
  throw Error("kernel '" + kernelName(id) + "' is not implemented on backend '" + b.name + "'" +
              (have.empty() ? std::string() : " (it is on: " + have + ")"));
}

// ---- storage and nodes ------------------------------------------------------------------

Storage::Storage(BackendRecord* o, size_t n) : owner(o), bytes(n) {
  static std::atomic<uint64_t> nextId{1};
  id = nextId.fetch_add(1, std::memory_order_relaxed);
  ptr = n ? owner->instance->allocate(n) : nullptr;
  auto& e = engine();
  e.numDataBuffers++;
  e.numBytes += static_cast<int64_t>(n);
  owner->bytes += static_cast<int64_t>(n);
  owner->buffers++;
  if (e.profiling) e.peakBytes = std::max(e.peakBytes, e.numBytes);
}

Storage::~Storage() {
  if (ptr) owner->instance->deallocate(ptr, bytes);
  auto& e = engine();
  e.numDataBuffers--;
  e.numBytes -= static_cast<int64_t>(bytes);
  owner->bytes -= static_cast<int64_t>(bytes);
  owner->buffers--;
}

TensorNode::TensorNode(Shape s, DType d, std::shared_ptr<Storage> st)
    : id(engine().nextTensorId++), shape(std::move(s)), dtype(d), size(shapeSize(shape)),
      storage(std::move(st)) {
  engine().numTensors++;
}

TensorNode::~TensorNode() {
  if (!disposed) engine().numTensors--;
  if (isVariable) engine().variables.erase(name);
}

std::shared_ptr<TensorNode> newNode(Shape shape, DType dtype, std::shared_ptr<Storage> storage,
                                    bool track) {
  auto node = std::make_shared<TensorNode>(std::move(shape), dtype, std::move(storage));
  auto& e = engine();
  if (track && !e.scopes.empty()) e.scopes.back().push_back(node);
  return node;
}

std::string describe(const TensorNode& n) {
  return "tensor " + std::to_string(n.id) + " (shape " + shapeString(n.shape) + ", " +
         std::string(dtypeName(n.dtype)) + ")";
}

void checkUsable(const Tensor& t, std::string_view op, size_t index) {
  if (!t.defined())
    throw Error(std::string(op) + ": input " + std::to_string(index) + " is an empty Tensor handle");
  if (t.node()->disposed)
    throw DisposedError(std::string(op) + ": input " + std::to_string(index) + " is " +
                        describe(*t.node()) + ", which was disposed");
}

// Moves a storage to backend b (free between host-memory backends).
void moveTo(Storage& s, BackendRecord& b) {
  if (s.owner == &b) return;
  if (s.owner->instance->hostMemory() && b.instance->hostMemory()) {
    s.owner->bytes -= static_cast<int64_t>(s.bytes);
    s.owner->buffers--;
    s.owner = &b;
    b.bytes += static_cast<int64_t>(s.bytes);
    b.buffers++;
    return;
  }
  std::vector<uint8_t> host(s.bytes);
  if (s.bytes) s.owner->instance->download(host.data(), s.ptr, s.bytes);
  void* fresh = s.bytes ? b.instance->allocate(s.bytes) : nullptr;
  if (s.bytes) b.instance->upload(fresh, host.data(), s.bytes);
  if (s.ptr) s.owner->instance->deallocate(s.ptr, s.bytes);
  s.owner->bytes -= static_cast<int64_t>(s.bytes);
  s.owner->buffers--;
  s.owner = &b;
  s.ptr = fresh;
  b.bytes += static_cast<int64_t>(s.bytes);
  b.buffers++;
}

// ---- dispatch ---------------------------------------------------------------------------

void recordOnTapes(KernelId id, std::span<const Tensor> inputs, std::span<const Tensor> outputs,
                   const void* attrs, AttrsCopier copier);

std::vector<Tensor> runKernel(KernelId id, std::span<const Tensor> inputs,
                              std::span<const OutputSpec> outputs, const void* attrs,
                              AttrsCopier copier) {
  auto& e = engine();
  BackendRecord& b = activeBackend();
  KernelFn fn = findKernel(b, id);

  constexpr size_t kInline = 8;
  TensorView inViews[kInline], outViews[kInline];
  std::vector<TensorView> inHeap, outHeap;
  TensorView* ins = inViews;
  TensorView* outs = outViews;
  if (inputs.size() > kInline) { inHeap.resize(inputs.size()); ins = inHeap.data(); }
  if (outputs.size() > kInline) { outHeap.resize(outputs.size()); outs = outHeap.data(); }

  for (size_t i = 0; i < inputs.size(); ++i) {
    checkUsable(inputs[i], kernelName(id), i);
    TensorNode& n = *inputs[i].node();
    moveTo(*n.storage, b);
    ins[i] = TensorView{n.storage->ptr, &n.shape, n.dtype, n.size, n.storage->id};
  }
  std::vector<Tensor> result;
  result.reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputSpec& o = outputs[i];
    auto storage = std::make_shared<Storage>(&b, static_cast<size_t>(shapeSize(o.shape)) * dtypeSize(o.dtype));
    auto node = newNode(o.shape, o.dtype, std::move(storage));
    outs[i] = TensorView{node->storage->ptr, &node->shape, node->dtype, node->size, node->storage->id};
    result.emplace_back(std::move(node));
  }
  KernelCall call{*b.instance, std::span<const TensorView>(ins, inputs.size()),
                  std::span<TensorView>(outs, outputs.size()), attrs};
  if (e.profiling) {
    auto t0 = std::chrono::steady_clock::now();
    fn(call);
    b.instance->synchronize();
    auto t1 = std::chrono::steady_clock::now();
    KernelProfile kp;
    kp.name = kernelName(id);
    kp.backend = b.name;
    kp.timeMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    for (auto& t : inputs) kp.inputShapes.push_back(t.shape());
    for (auto& o : outputs) {
      kp.outputShapes.push_back(o.shape);
      kp.bytesAdded += shapeSize(o.shape) * static_cast<int64_t>(dtypeSize(o.dtype));
    }
    e.profileKernels.push_back(std::move(kp));
  } else {
    fn(call);
  }
  if (e.recordingDepth > 0) recordOnTapes(id, inputs, result, attrs, copier);
  return result;
}

Tensor makeView(KernelId id, const Tensor& x, Shape shape, const void* attrs, AttrsCopier copier) {
  checkUsable(x, kernelName(id), 0);
  if (shapeSize(shape) != x.size())
    throw Error(kernelName(id) + ": cannot view " + describe(*x.node()) + " as shape " + shapeString(shape));
  Tensor out(newNode(std::move(shape), x.dtype(), x.node()->storage));
  if (engine().recordingDepth > 0) {
    Tensor outs[1] = {out};
    recordOnTapes(id, std::span<const Tensor>(&x, 1), outs, attrs, copier);
  }
  return out;
}

Tensor fromHost(const void* data, Shape shape, DType dtype) {
  BackendRecord& b = activeBackend();
  size_t bytes = static_cast<size_t>(shapeSize(shape)) * dtypeSize(dtype);
  auto storage = std::make_shared<Storage>(&b, bytes);
  if (bytes) b.instance->upload(storage->ptr, data, bytes);
  return Tensor(newNode(std::move(shape), dtype, std::move(storage)));
}

Tensor copyTensor(const Tensor& x) {
  checkUsable(x, "copy", 0);
  const TensorNode& n = *x.node();
  BackendRecord& b = activeBackend();
  moveTo(*n.storage, b);
  auto storage = std::make_shared<Storage>(&b, n.storage->bytes);
  if (n.storage->bytes) b.instance->copyWithin(storage->ptr, n.storage->ptr, n.storage->bytes);
  return Tensor(newNode(n.shape, n.dtype, std::move(storage)));
}

void copyInto(const Tensor& dst, const Tensor& src) {
  checkUsable(dst, "copyInto", 0);
  checkUsable(src, "copyInto", 1);
  Storage& d = *dst.node()->storage;
  Storage& s = *src.node()->storage;
  if (d.bytes != s.bytes) throw Error("copyInto: " + describe(*dst.node()) + " and " + describe(*src.node()) + " differ in size");
  moveTo(s, *d.owner);
  if (s.bytes) d.owner->instance->copyWithin(d.ptr, s.ptr, s.bytes);
}

Backend& activeBackendInstance() { return *activeBackend().instance; }

bool isProfiling() { return engine().profiling > 0; }

Backend* initializedBackend(const std::string& name) {
  BackendRecord* b = findBackend(name);
  return b && b->instance ? b->instance.get() : nullptr;
}

// ---- scopes -----------------------------------------------------------------------------

void startScope() { engine().scopes.emplace_back(); }

void endScope(const std::vector<const Tensor*>& keepers) {
  auto& e = engine();
  std::vector<std::weak_ptr<TensorNode>> scope = std::move(e.scopes.back());
  e.scopes.pop_back();
  std::unordered_set<const TensorNode*> keep;
  for (const Tensor* t : keepers)
    if (t->defined()) keep.insert(t->node().get());
  for (auto& w : scope) {
    auto n = w.lock();
    if (!n || n->disposed) continue;
    if (keep.count(n.get())) {
      if (!e.scopes.empty()) e.scopes.back().push_back(n);
      continue;
    }
    if (n->kept || n->isVariable) continue;
    Tensor(n).dispose();
  }
}

void startProfile() {
  auto& e = engine();
  e.profiling++;
  if (e.profiling == 1) {
    e.profileKernels.clear();
    e.peakBytes = e.numBytes;
  }
}

ProfileInfo endProfile(int64_t bytesBefore, int64_t tensorsBefore) {
  auto& e = engine();
  ProfileInfo p;
  p.kernels = e.profileKernels;
  p.peakBytes = e.peakBytes;
  p.newBytes = e.numBytes - bytesBefore;
  p.newTensors = e.numTensors - tensorsBefore;
  if (--e.profiling == 0) e.profileKernels.clear();
  return p;
}

uint64_t nextRandomSeed() {
  // splitmix64 step: a well-mixed sequence from the user's seed.
  uint64_t z = (engine().randomState += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace detail

// ---- public engine API ------------------------------------------------------------------

using namespace detail;

void setBackend(const std::string& name) { engine().active = &requireBackend(name); }

std::string getBackend() { return activeBackend().name; }

std::string ready() { return getBackend(); }

std::vector<std::string> backendNames() {
  std::vector<std::string> names;
  for (auto& b : engine().backends) names.push_back(b->name);
  return names;
}

void removeBackend(const std::string& name) {
  auto& e = engine();
  auto it = std::find_if(e.backends.begin(), e.backends.end(), [&](auto& b) { return b->name == name; });
  if (it == e.backends.end()) throw Error("removeBackend: backend '" + name + "' is not registered");
  if ((*it)->buffers > 0)
    throw Error("removeBackend: backend '" + name + "' still holds " + std::to_string((*it)->buffers) +
                " data buffers (" + std::to_string((*it)->bytes) + " bytes); dispose them first");
  if (e.active == it->get()) e.active = nullptr;
  e.backends.erase(it);
}

std::string defaultBackend() {
  if (const char* env = std::getenv("STRATA_BACKEND"); env && *env) {
    requireBackend(env);
    return env;
  }
  for (auto& b : engine().backends)
    if (initialize(*b)) return b->name;
  throw Error("no backend is available: " + availabilitySummary());
}

std::vector<BackendStatus> backendStatus() {
  std::vector<BackendStatus> out;
  for (auto& b : engine().backends) {
    BackendStatus s;
    s.name = b->name;
    s.priority = b->priority;
    s.available = initialize(*b);
    s.reason = b->reason;
    if (s.available) s.description = b->instance->description();
    s.kernelFallback = b->options.kernelFallback;
    auto& tables = engine().kernelTables;
    if (auto t = tables.find(b->name); t != tables.end())
      s.numKernels = static_cast<size_t>(std::count_if(t->second.begin(), t->second.end(), [](KernelFn f) { return f != nullptr; }));
    out.push_back(std::move(s));
  }
  return out;
}

MemoryInfo memory() {
  auto& e = engine();
  MemoryInfo m;
  m.numTensors = e.numTensors;
  m.numDataBuffers = e.numDataBuffers;
  m.numBytes = e.numBytes;
  for (auto& b : e.backends) {
    m.bytesPerBackend[b->name] = b->bytes;
    int64_t reserved = 0, free = 0;
    if (b->instance && b->instance->deviceMemory(reserved, free)) {
      m.numBytesInGPU += b->bytes;
      m.numBytesInGPUAllocated += reserved;
      m.numBytesInGPUFree += free;
    }
  }
  return m;
}

Tensor keep(const Tensor& t) {
  if (t.defined()) t.node()->kept = true;
  return t;
}

void setRandomSeed(uint64_t seed) { engine().randomState = seed; }

// ---- host memory ------------------------------------------------------------------------

void* HostBackend::allocate(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw OutOfMemoryError("host allocation of " + std::to_string(bytes) + " bytes failed");
  return p;
}
void HostBackend::deallocate(void* ptr, size_t) { std::free(ptr); }
void HostBackend::upload(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void HostBackend::download(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void HostBackend::copyWithin(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void Backend::copyWithin(void* dst, const void* src, size_t bytes) {
  std::vector<uint8_t> host(bytes);
  download(host.data(), src, bytes);
  upload(dst, host.data(), bytes);
}

}  // namespace strata
