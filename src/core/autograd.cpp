// The gradient tape and backpropagation. Kernels are recorded only while a tape is active and
// only when an input depends on a watched tensor; backprop runs registered gradient functions,
// which are written with ops.
#include <algorithm>
#include <unordered_map>

#include "core/engine_state.h"
#include "strata/grad.h"

namespace strata {
namespace detail {

namespace {
std::vector<GradFn>& gradTable() {
  static auto* t = new std::vector<GradFn>();
  return *t;
}

// A clone that shares storage, is not tracked by tidy, and survives disposal of the original.
Tensor saved(const Tensor& t) {
  const TensorNode& n = *t.node();
  return Tensor(newNode(n.shape, n.dtype, n.storage, /*track=*/false));
}

bool anyWatched(const Tape& tape, std::span<const Tensor> inputs) {
  for (const Tensor& t : inputs)
    if (tape.watched.count(t.node()->id)) return true;
  return false;
}

TapeEntry makeEntry(std::span<const Tensor> inputs, std::span<const Tensor> outputs) {
  TapeEntry e;
  for (const Tensor& t : inputs) {
    e.inputIds.push_back(t.node()->id);
    e.inputs.push_back(saved(t));
  }
  for (const Tensor& t : outputs) {
    e.outputIds.push_back(t.node()->id);
    e.outputs.push_back(saved(t));
  }
  return e;
}
}  // namespace

void registerGradient(std::string_view kernel, GradFn fn) {
  KernelId id = kernelId(kernel);
  auto& t = gradTable();
  if (static_cast<size_t>(id) >= t.size()) t.resize(id + 1, nullptr);
  t[id] = fn;
}

GradFn findGradient(KernelId id) {
  auto& t = gradTable();
  return static_cast<size_t>(id) < t.size() ? t[id] : nullptr;
}

std::vector<std::string> gradientKernelNames() {
  std::vector<std::string> names;
  auto& t = gradTable();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i]) names.push_back(kernelName(static_cast<KernelId>(i)));
  return names;
}

bool isRecording() { return engine().recordingDepth > 0; }

void recordOnTapes(KernelId id, std::span<const Tensor> inputs, std::span<const Tensor> outputs,
                   const void* attrs, AttrsCopier copier) {
  std::shared_ptr<const void> attrCopy;
  for (Tape* tape : engine().tapes) {
    if (!anyWatched(*tape, inputs)) continue;
    TapeEntry e = makeEntry(inputs, outputs);
    e.kernel = id;
    if (!attrCopy && attrs && copier) attrCopy = copier(attrs);
    e.attrs = attrCopy;
    for (const Tensor& t : outputs) tape->watched.insert(t.node()->id);
    tape->entries.push_back(std::move(e));
  }
}

void recordCustom(std::span<const Tensor> inputs, const Tensor& output,
                  std::function<std::vector<Tensor>(const Tensor& dy)> gradFunc) {
  if (engine().recordingDepth == 0) return;
  for (Tape* tape : engine().tapes) {
    if (!anyWatched(*tape, inputs)) continue;
    TapeEntry e = makeEntry(inputs, std::span<const Tensor>(&output, 1));
    e.custom = gradFunc;
    tape->watched.insert(output.node()->id);
    tape->entries.push_back(std::move(e));
  }
}

TapePause::TapePause() : saved_(engine().recordingDepth) { engine().recordingDepth = 0; }
TapePause::~TapePause() { engine().recordingDepth = saved_; }

namespace {
bool isFloat(const Tensor& t) { return t.dtype() == DType::float32; }

// Core may not call ops (they live above it), so it runs the two kernels it needs directly.
Tensor addForGradient(const Tensor& a, const Tensor& b) {
  static const KernelId kAdd = kernelId("Add");
  NoAttrs none;
  OutputSpec spec{a.shape(), a.dtype()};
  Tensor ins[2] = {a, b};
  return runKernel(kAdd, ins, std::span<const OutputSpec>(&spec, 1), &none, &copyAttrs<NoAttrs>)[0];
}
Tensor onesLikeForGradient(const Tensor& y) {
  std::vector<float> ones(static_cast<size_t>(y.size()), 1.0f);
  return fromHost(ones.data(), y.shape(), DType::float32);
}

// Walks the tape backwards from y, accumulating gradients by tensor id.
std::unordered_map<int64_t, Tensor> backprop(const Tape& tape, const Tensor& y, const Tensor& dy) {
  std::unordered_map<int64_t, Tensor> acc;
  acc[y.node()->id] = dy;
  for (auto it = tape.entries.rbegin(); it != tape.entries.rend(); ++it) {
    const TapeEntry& e = *it;
    bool any = false;
    for (int64_t id : e.outputIds) any |= acc.count(id) > 0;
    if (!any) continue;
    std::vector<Tensor> dys;
    for (size_t i = 0; i < e.outputIds.size(); ++i) {
      auto found = acc.find(e.outputIds[i]);
      if (found != acc.end()) dys.push_back(found->second);
      else dys.push_back(fromHost(std::vector<uint8_t>(e.outputs[i].size() * dtypeSize(e.outputs[i].dtype())).data(),
                                  e.outputs[i].shape(), e.outputs[i].dtype()));
    }
    std::vector<Tensor> dxs;
    const std::string opName = e.kernel >= 0 ? kernelName(e.kernel) : std::string("customGrad");
    if (e.custom) {
      dxs = e.custom(dys[0]);
    } else {
      GradFn fn = findGradient(e.kernel);
      if (!fn) throw Error("gradient of '" + opName + "' is not defined");
      GradArgs args{dys, e.inputs, e.outputs, e.attrs.get()};
      args.needMask = 0;
      for (size_t i = 0; i < e.inputIds.size() && i < 64; ++i)
        if (tape.watched.count(e.inputIds[i])) args.needMask |= uint64_t{1} << i;
      dxs = fn(args);
    }
    if (dxs.size() != e.inputIds.size())
      throw Error("gradient of '" + opName + "' returned " + std::to_string(dxs.size()) + " tensors for " +
                  std::to_string(e.inputIds.size()) + " inputs");
    for (size_t i = 0; i < dxs.size(); ++i) {
      if (!dxs[i].defined() || !tape.watched.count(e.inputIds[i])) continue;
      if (dxs[i].shape() != e.inputs[i].shape())
        throw Error("gradient of '" + opName + "' for input " + std::to_string(i) + " has shape " +
                    shapeString(dxs[i].shape()) + ", expected " + shapeString(e.inputs[i].shape()));
      auto found = acc.find(e.inputIds[i]);
      if (found == acc.end()) acc.emplace(e.inputIds[i], dxs[i]);
      else found->second = addForGradient(found->second, dxs[i]);
    }
  }
  return acc;
}

struct TapeScope {
  Tape tape;
  TapeScope() {
    engine().tapes.push_back(&tape);
    engine().recordingDepth++;
  }
  void stop() {
    if (stopped) return;
    stopped = true;
    auto& ts = engine().tapes;
    ts.erase(std::find(ts.begin(), ts.end(), &tape));
    engine().recordingDepth--;
  }
  ~TapeScope() { stop(); }
  bool stopped = false;
};
}  // namespace

ValueAndGradsResult gradients(const std::function<Tensor()>& f, const std::vector<Tensor>& xs,
                              const Tensor& dyIn) {
  for (size_t i = 0; i < xs.size(); ++i) checkUsable(xs[i], "grad", i);
  auto [value, grads] = tidy([&] {
    TapeScope scope;
    for (const Tensor& x : xs) scope.tape.watched.insert(x.node()->id);
    Tensor y = f();
    scope.stop();
    if (!y.defined()) throw Error("grad: the function returned an empty Tensor");
    if (!isFloat(y)) throw Error("grad: the function's value must be float32, got " + std::string(dtypeName(y.dtype())));
    Tensor dy = dyIn.defined() ? dyIn : onesLikeForGradient(y);
    if (dy.shape() != y.shape())
      throw Error("grad: dy has shape " + shapeString(dy.shape()) + " but the function's value has shape " +
                  shapeString(y.shape()));
    auto acc = backprop(scope.tape, y, dy);
    std::vector<Tensor> gs;
    for (const Tensor& x : xs) {
      auto found = acc.find(x.node()->id);
      if (found == acc.end())
        throw Error("grad: cannot compute the gradient of " + describe(*x.node()) +
                    ": the function's value does not depend on it");
      gs.push_back(found->second);
    }
    return std::make_pair(y, gs);
  });
  return ValueAndGradsResult{value, grads};
}

}  // namespace detail

VariableGradsResult variableGrads(const std::function<Tensor()>& f, const std::vector<Variable>& varList) {
  using namespace detail;
  using detail::TapeScope;
  std::vector<Variable> vars = varList;
  if (vars.empty())
    for (auto& [name, weak] : engine().variables)
      if (auto n = weak.lock(); n && n->trainable) vars.emplace_back(n);
  auto [value, grads] = tidy([&] {
    TapeScope scope;
    for (const Variable& v : vars) scope.tape.watched.insert(v.node()->id);
    Tensor y = f();
    scope.stop();
    if (!y.defined() || y.size() != 1 || y.dtype() != DType::float32)
      throw Error("variableGrads: the function must return a float32 scalar, got " +
                  (y.defined() ? describe(*y.node()) : std::string("an empty Tensor")));
    auto acc = backprop(scope.tape, y, onesLikeForGradient(y));
    std::map<std::string, Tensor> gs;
    for (const Variable& v : vars)
      if (auto found = acc.find(v.node()->id); found != acc.end()) gs[v.name()] = found->second;
    return std::make_pair(y, gs);
  });
  return VariableGradsResult{value, grads};
}

std::function<Tensor(const std::vector<Tensor>&)> customGrad(
    std::function<CustomGradResult(const std::vector<Tensor>&)> f) {
  return [f](const std::vector<Tensor>& xs) {
    CustomGradResult r;
    {
      detail::TapePause pause;
      r = f(xs);
    }
    if (!r.value.defined()) throw Error("customGrad: the function returned no value");
    if (!r.gradFunc) throw Error("customGrad: the function returned no gradFunc");
    detail::recordCustom(xs, r.value, r.gradFunc);
    return r.value;
  };
}

Tensor Tensor::clone() const {
  static const KernelId kIdentity = kernelId("Identity");
  return detail::makeView(kIdentity, *this, shape(), nullptr, nullptr);
}

namespace {
std::vector<Tensor> identityGrad(const detail::GradArgs& g) { return {g.dy()}; }
detail::GradientRegistrar identityGradients{{"Identity", identityGrad}};
}  // namespace

}  // namespace strata
