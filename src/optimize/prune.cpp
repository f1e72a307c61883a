// Magnitude pruning (include/strata/optimize/prune.h): TFMOT's PolynomialDecay schedule, a fit()
// callback that keeps per-kernel masks, and pruneLowMagnitude = fit + that callback.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/model.h"
#include "optimize/prune_common.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/ops.h"
#include "strata/optimize/prune.h"

namespace strata {

// ---- schedule ----------------------------------------------------------------------------------

double PolynomialDecay::sparsityAt(int64_t step) const {
  if (endStep < 0) throw Error("PolynomialDecay: endStep is -1 (unset); set it before asking for a sparsity");
  const double span = static_cast<double>(endStep - beginStep);
  // begin == end: the schedule jumps to the final sparsity at begin.
  double p = span > 0 ? static_cast<double>(step - beginStep) / span : (step >= beginStep ? 1.0 : 0.0);
  p = std::clamp(p, 0.0, 1.0);
  return finalSparsity + (static_cast<double>(initialSparsity) - finalSparsity) * std::pow(1.0 - p, power);
}

bool PolynomialDecay::shouldPrune(int64_t step) const {
  if (endStep < 0) throw Error("PolynomialDecay: endStep is -1 (unset); set it before asking whether to prune");
  if (step < beginStep || step > endStep) return false;
  return (step - beginStep) % frequency == 0 || step == endStep;
}

void PolynomialDecay::validate() const {
  auto sparsity = [](const char* name, float v) {
    if (!(v >= 0.0f && v < 1.0f))
      throw Error(std::string("pruning schedule: ") + name + " must be in [0, 1), got " + std::to_string(v));
  };
  sparsity("initialSparsity", initialSparsity);
  sparsity("finalSparsity", finalSparsity);
  if (beginStep < 0) throw Error("pruning schedule: beginStep must be >= 0, got " + std::to_string(beginStep));
  if (endStep != -1 && endStep < beginStep)
    throw Error("pruning schedule: endStep must be -1 or >= beginStep (" + std::to_string(beginStep) + "), got " +
                std::to_string(endStep));
  if (frequency <= 0) throw Error("pruning schedule: frequency must be > 0, got " + std::to_string(frequency));
  if (!(power > 0.0f)) throw Error("pruning schedule: power must be > 0, got " + std::to_string(power));
}

std::vector<std::pair<std::string, std::string>> prunableWeightNames() { return prune::prunableTable(); }

namespace prune {

const std::vector<std::pair<std::string, std::string>>& prunableTable() {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"Dense", "kernel"},
      {"Conv1D", "kernel"},
      {"Conv2D", "kernel"},
      {"Conv2DTranspose", "kernel"},
      {"DepthwiseConv2D", "depthwise_kernel"},
      {"SeparableConv2D", "pointwise_kernel"},
  };
  return table;
}

const std::string* prunableWeightOf(const std::string& className) {
  for (const auto& entry : prunableTable())
    if (entry.first == className) return &entry.second;
  return nullptr;
}

void forEachLayer(layers::Model& model, const std::function<void(layers::Layer&)>& fn) {
  for (auto& l : model.layers) {
    if (auto* inner = dynamic_cast<layers::Model*>(l.get())) forEachLayer(*inner, fn);
    else fn(*l);
  }
}

std::string layerNames(layers::Model& model) {
  std::string out;
  forEachLayer(model, [&](layers::Layer& l) {
    if (l.className() != "InputLayer") out += (out.empty() ? "" : ", ") + l.name();
  });
  return out;
}

}  // namespace prune

namespace {

struct Target {
  std::string layer, className, weightName;
  Variable weight;
  Tensor mask;  // undefined = nothing pruned yet
};

std::vector<Target> findTargets(layers::Model& model, const std::vector<std::string>& names) {
  std::vector<Target> out;
  std::vector<bool> found(names.size(), false);
  prune::forEachLayer(model, [&](layers::Layer& l) {
    auto named = std::find(names.begin(), names.end(), l.name());
    if (!names.empty() && named == names.end()) return;
    const std::string* wname = prune::prunableWeightOf(l.className());
    if (!wname) {
      if (names.empty()) return;
      std::string known;
      for (const auto& [cls, w] : prune::prunableTable()) known += (known.empty() ? "" : ", ") + cls + " " + w;
      throw Error("prune: " + l.describe() + " has no weight that magnitude pruning masks (prunable: " + known + ")");
    }
    if (!names.empty()) found[static_cast<size_t>(named - names.begin())] = true;
    for (layers::Weight& w : l.ownWeights())
      if (w.name == *wname) out.push_back({l.name(), l.className(), w.name, w.value, Tensor()});
  });
  for (size_t i = 0; i < names.size(); ++i)
    if (!found[i])
      throw Error("prune: model '" + model.name() + "' has no layer '" + names[i] + "' (layers: " +
                  prune::layerNames(model) + ")");
  if (out.empty()) throw Error("prune: model '" + model.name() + "' has no layer with a prunable weight");
  return out;
}

// 1 for the k = max(1, round(n * (1 - sparsity))) largest |w| (ties: the earlier position wins).
Tensor magnitudeMask(const Tensor& w, double sparsity) {
  const std::vector<float> v = w.dataSync<float>();
  const int64_t n = static_cast<int64_t>(v.size());
  const int64_t k = std::clamp<int64_t>(std::llround(static_cast<double>(n) * (1.0 - sparsity)), 1, n);
  std::vector<float> mask(v.size(), 0.0f);
  std::vector<int64_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), [&v](int64_t a, int64_t b) {
    const float fa = std::fabs(v[static_cast<size_t>(a)]), fb = std::fabs(v[static_cast<size_t>(b)]);
    return fa > fb || (fa == fb && a < b);
  });
  for (int64_t i = 0; i < k; ++i) mask[static_cast<size_t>(order[static_cast<size_t>(i)])] = 1.0f;
  return keep(tensor(mask, w.shape()));
}

std::vector<LayerSparsity> report(const std::vector<Target>& targets) {
  std::vector<LayerSparsity> out;
  for (const Target& t : targets) {
    int64_t zeros = 0;
    for (float v : t.weight.dataSync<float>()) zeros += v == 0.0f;
    out.push_back({t.layer, t.className, t.weightName, t.weight.size(), zeros});
  }
  return out;
}

class PruningCallback : public Callback {
 public:
  PruningCallback(PolynomialDecay schedule, std::vector<std::string> names)
      : schedule_(schedule), names_(std::move(names)) {
    schedule_.validate();
    if (schedule_.endStep < 0) throw Error("pruningCallback: schedule.endStep must be set (>= beginStep)");
  }
  ~PruningCallback() override {
    for (Target& t : targets_)
      if (t.mask.defined()) t.mask.dispose();
  }

  void onTrainBegin(Logs&) override {
    if (!resolved_) {
      targets_ = findTargets(model->impl(), names_);
      resolved_ = true;
    }
    applyMasks();  // a callback reused across fits masks weights changed in between
  }
  void onBatchBegin(int, Logs&) override {
    // As TFMOT's wrapper: masks for this step are computed before its forward pass. (Between
    // updates the weights are already masked by the previous onBatchEnd.)
    if (schedule_.shouldPrune(step_)) {
      updateMasks(schedule_.sparsityAt(step_));
      applyMasks();
    }
  }
  // After the optimizer step: pruned weights go back to exactly zero.
  void onBatchEnd(int, Logs&) override {
    applyMasks();
    ++step_;
  }

  void updateMasks(double sparsity) {
    for (Target& t : targets_) {
      Tensor m = magnitudeMask(t.weight, sparsity);
      if (t.mask.defined()) t.mask.dispose();
      t.mask = m;
    }
  }
  void applyMasks() {
    tidy([&] {
      for (Target& t : targets_)
        if (t.mask.defined()) t.weight.assign(mul(t.weight, t.mask));
    });
  }
  void resolve(layers::Model& model) {
    targets_ = findTargets(model, names_);
    resolved_ = true;
  }
  const std::vector<Target>& targets() const { return targets_; }

 private:
  PolynomialDecay schedule_;
  std::vector<std::string> names_;
  std::vector<Target> targets_;
  bool resolved_ = false;
  int64_t step_ = 0;
};

// Training samples per epoch as fit() counts them (validationSplit takes the tail).
int64_t trainingSamples(int64_t n, const FitArgs& fit) {
  if (fit.validationData || fit.validationSplit <= 0) return n;
  return static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - fit.validationSplit)));
}

}  // namespace

CallbackPtr pruningCallback(const PolynomialDecay& schedule, const std::vector<std::string>& layers) {
  return std::make_shared<PruningCallback>(schedule, layers);
}

PruneResult pruneLowMagnitude(const LayersModel& model, const Tensor& x, const Tensor& y, const PruneArgs& args) {
  return pruneLowMagnitude(model, std::vector<Tensor>{x}, std::vector<Tensor>{y}, args);
}

PruneResult pruneLowMagnitude(const LayersModel& model, const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                              const PruneArgs& args) {
  args.schedule.validate();
  findTargets(model.impl(), args.layers);  // bad names fail before anything changes
  if (args.fit.epochs - args.fit.initialEpoch <= 0)
    return {History{}, pruneLowMagnitudeOnce(model, args.schedule.finalSparsity, args.layers)};
  if (!model.isCompiled()) {
    if (!model.trainingConfig().is_object())
      throw Error("prune: model '" + model.name() + "' is not compiled and has no trainingConfig; compile it first");
    model.compileFromTrainingConfig();
  }
  if (xs.empty() || !xs[0].defined() || xs[0].rank() == 0)
    throw Error("prune: model '" + model.name() + "': no training inputs given");
  if (args.fit.batchSize <= 0)
    throw Error("prune: batchSize must be positive, got " + std::to_string(args.fit.batchSize));

  const int64_t n = trainingSamples(xs[0].shape()[0], args.fit);
  const int64_t stepsPerEpoch = (n + args.fit.batchSize - 1) / args.fit.batchSize;
  const int64_t totalSteps = stepsPerEpoch * std::max(0, args.fit.epochs - args.fit.initialEpoch);

  PolynomialDecay schedule = args.schedule;
  if (totalSteps == 0) throw Error("prune: model '" + model.name() + "': no training samples");
  if (schedule.endStep < 0) schedule.endStep = totalSteps - 1;
  if (schedule.beginStep > schedule.endStep)
    throw Error("prune: schedule.beginStep " + std::to_string(schedule.beginStep) + " is after endStep " +
                std::to_string(schedule.endStep) + " (the run has " + std::to_string(totalSteps) + " steps)");

  auto callback = std::make_shared<PruningCallback>(schedule, args.layers);
  FitArgs fit = args.fit;
  // First, so that user callbacks (checkpoints) see masked weights.
  fit.callbacks.insert(fit.callbacks.begin(), callback);
  PruneResult result;
  result.history = model.fit(xs, ys, fit);
  result.layers = report(callback->targets());
  return result;
}

std::vector<LayerSparsity> pruneLowMagnitudeOnce(const LayersModel& model, float sparsity,
                                                 const std::vector<std::string>& layers) {
  if (!(sparsity >= 0.0f && sparsity < 1.0f))
    throw Error("prune: sparsity must be in [0, 1), got " + std::to_string(sparsity));
  PolynomialDecay once{.initialSparsity = sparsity, .finalSparsity = sparsity, .beginStep = 0, .endStep = 0};
  PruningCallback pruner(once, layers);
  pruner.resolve(model.impl());
  pruner.updateMasks(sparsity);
  pruner.applyMasks();
  return report(pruner.targets());
}

std::vector<LayerSparsity> sparsityReport(const LayersModel& model) {
  std::vector<LayerSparsity> out;
  prune::forEachLayer(model.impl(), [&](layers::Layer& l) {
    const std::string* wname = prune::prunableWeightOf(l.className());
    if (!wname) return;
    for (layers::Weight& w : l.ownWeights()) {
      if (w.name != *wname) continue;
      int64_t zeros = 0;
      for (float v : w.value.dataSync<float>()) zeros += v == 0.0f;
      out.push_back({l.name(), l.className(), w.name, w.value.size(), zeros});
    }
  });
  return out;
}

}  // namespace strata
