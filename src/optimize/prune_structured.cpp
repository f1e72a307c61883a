// Structured pruning (include/strata/optimize/prune.h): whole Conv2D filters and Dense units
// with the lowest L1 norm are removed from a Sequential model, and the layers after them are
// rewritten to match (BatchNormalization parameters, the next Conv2D/Dense's input slices).
// The smaller model is built from the edited Keras config, then given the sliced weights.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "models/model.h"
#include "optimize/prune_common.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/ops.h"
#include "strata/optimize/prune.h"

namespace strata {

namespace {

using layers::Json;

// How a layer between a pruned layer and the next Conv2D/Dense treats channels.
enum class Role { producer, perChannel, batchNorm, flatten };

// Producers also consume: their kernels' input axis is sliced when something before was pruned.
struct ProducerInfo {
  const char* sizeKey;  // "filters" / "units"
  int inAxis, outAxis;  // kernel axes of input and output channels
};
const std::map<std::string, ProducerInfo>& producers() {
  static const std::map<std::string, ProducerInfo> table = {
      {"Conv2D", {"filters", 2, 3}},  // kernel [kh, kw, in, out]
      {"Dense", {"units", 0, 1}},     // kernel [in, out]
  };
  return table;
}

// Layers that act on each channel on its own (the last axis passes through unchanged).
const std::set<std::string>& perChannel() {
  static const std::set<std::string> table = {
      "MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling1D",
      "GlobalAveragePooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "ZeroPadding2D", "Cropping2D",
      "UpSampling2D", "Activation", "ReLU", "LeakyReLU", "ELU", "ThresholdedReLU", "Dropout", "SpatialDropout1D",
      "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout"};
  return table;
}

std::string supportedList() {
  std::string s = "BatchNormalization, Flatten";
  for (const auto& c : perChannel()) s += ", " + c;
  return s;
}

bool isSoftmax(const Json& config) {
  if (!config.contains("activation")) return false;
  const Json& a = config["activation"];
  if (a.is_string()) return a.get<std::string>() == "softmax";
  return a.is_object() && a.value("class_name", "") == "Softmax";
}

// The role of a layer after a pruned one, or nullopt if the rewrite cannot pass it.
std::optional<Role> roleOf(const layers::Layer& l) {
  const std::string& c = l.className();
  if (producers().count(c)) return Role::producer;
  if (c == "BatchNormalization") return Role::batchNorm;
  if (c == "Flatten") return Role::flatten;
  // A softmax over the channels couples them: removing one changes the others.
  if (perChannel().count(c) && !isSoftmax(l.config())) return Role::perChannel;
  return std::nullopt;
}

std::string unsupportedError(const layers::Layer& l, const layers::Layer& pruned) {
  return "pruneStructured: " + l.describe() + " follows " + pruned.describe() +
         ", whose filters/units would be removed, and structured pruning cannot rewrite it (between a pruned "
         "layer and the next Conv2D/Dense only these may appear: " +
         supportedList() + "); prune other layers with StructuredPruneArgs::layers (--layers)";
}

Tensor keepIndices(const std::vector<int64_t>& kept) {
  std::vector<int32_t> v(kept.begin(), kept.end());
  return tensorInt(v, {static_cast<int64_t>(v.size())});
}

// The kept filters/units: all but the round(fraction * n) with the lowest L1 norm (ties: the
// later one goes), in ascending order.
std::vector<int64_t> chooseKept(const Tensor& kernel, int outAxis, float fraction) {
  std::vector<int> axes;
  for (int a = 0; a < kernel.rank(); ++a)
    if (a != outAxis) axes.push_back(a);
  const std::vector<float> norms = tidy([&] { return sum(abs(kernel), axes); }).dataSync<float>();
  const int64_t n = static_cast<int64_t>(norms.size());
  const int64_t keepCount = std::max<int64_t>(1, n - std::llround(static_cast<double>(fraction) * static_cast<double>(n)));
  std::vector<int64_t> order(norms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return norms[static_cast<size_t>(a)] > norms[static_cast<size_t>(b)];
  });
  std::vector<int64_t> kept(order.begin(), order.begin() + keepCount);
  std::sort(kept.begin(), kept.end());
  return kept;
}

// Decides which layers lose filters/units: the named ones, or every Conv2D/Dense whose output
// reaches another Conv2D/Dense. Errors name the layer that makes a choice impossible.
std::vector<bool> selectProducers(const std::vector<layers::Layer*>& chain, const StructuredPruneArgs& args,
                                  const std::string& modelName, const std::string& allNames) {
  std::vector<bool> selected(chain.size(), false);
  for (const std::string& name : args.layers) {
    auto it = std::find_if(chain.begin(), chain.end(), [&](layers::Layer* l) { return l->name() == name; });
    if (it == chain.end())
      throw Error("pruneStructured: model '" + modelName + "' has no layer '" + name + "' (layers: " + allNames + ")");
    if (!producers().count((*it)->className()))
      throw Error("pruneStructured: " + (*it)->describe() + " cannot lose filters or units (only Conv2D and Dense can)");
    selected[static_cast<size_t>(it - chain.begin())] = true;
  }
  for (size_t i = 0; i < chain.size(); ++i) {
    if (!producers().count(chain[i]->className())) continue;
    if (!args.layers.empty() && !selected[i]) continue;
    // Look ahead for the layer that consumes this one's channels.
    bool consumed = false;
    for (size_t j = i + 1; j < chain.size() && !consumed; ++j) {
      std::optional<Role> r = roleOf(*chain[j]);
      if (!r) throw Error(unsupportedError(*chain[j], *chain[i]));
      consumed = *r == Role::producer;
    }
    if (!consumed) {
      if (!args.layers.empty())
        throw Error("pruneStructured: " + chain[i]->describe() +
                    " produces the model's output; its filters/units cannot be removed");
      continue;  // the output layer keeps its units
    }
    if (isSoftmax(chain[i]->config()))
      throw Error("pruneStructured: " + chain[i]->describe() +
                  " has a softmax activation, which couples its units; removing some would change the others");
    selected[i] = true;
  }
  return selected;
}

}  // namespace

StructuredPruneResult pruneStructured(const LayersModel& model, const StructuredPruneArgs& args) {
  if (!(args.fraction >= 0.0f && args.fraction < 1.0f))
    throw Error("pruneStructured: fraction must be in [0, 1), got " + std::to_string(args.fraction));
  layers::Model& m = model.impl();
  if (!m.isSequential())
    throw Error("pruneStructured: model '" + m.name() +
                "' is functional; structured pruning supports Sequential models (a chain of layers)");
  // The chain without the InputLayer; toConfig()'s layer list has the same order.
  std::vector<layers::Layer*> chain;
  for (auto& l : m.layers)
    if (l->className() != "InputLayer") chain.push_back(l.get());
  for (layers::Layer* l : chain)
    if (dynamic_cast<layers::Model*>(l))
      throw Error("pruneStructured: " + l->describe() + " is a nested model, which structured pruning does not support");
  std::vector<bool> selected = selectProducers(chain, args, m.name(), prune::layerNames(m));

  Json config = m.toConfig();
  StructuredPruneResult result;
  result.paramsBefore = model.countParams();
  // New weight values per chain index (empty = copy the original's).
  std::vector<std::vector<Tensor>> newWeights(chain.size());
  std::vector<Tensor> owned;  // every tensor made here, disposed at the end
  auto own = [&owned](Tensor t) {
    owned.push_back(keep(t));
    return t;
  };
  struct Pending {
    bool active = false;
    size_t producer = 0;
    std::vector<int64_t> kept;  // indices of the last axis that remain
  } pending;

  Shape shape = m.inputShapes()[0];
  try {
    tidy([&] {
      for (size_t i = 0; i < chain.size(); ++i) {
        layers::Layer& l = *chain[i];
        const Shape inShape = shape;
        shape = l.outputShapes({inShape})[0];
        std::vector<Tensor> w;
        for (layers::Weight& ow : l.ownWeights()) w.push_back(ow.value);
        bool changed = false;
        if (pending.active) {
          std::optional<Role> role = roleOf(l);
          if (!role) throw Error(unsupportedError(l, *chain[pending.producer]));
          switch (*role) {
            case Role::producer:
              w[0] = gather(w[0], keepIndices(pending.kept), producers().at(l.className()).inAxis);
              pending.active = false;
              changed = true;
              break;
            case Role::batchNorm: {
              const int axis = l.config().value("axis", -1);
              if (axis != -1 && axis != static_cast<int>(inShape.size()) - 1)
                throw Error("pruneStructured: " + l.describe() + " normalizes axis " + std::to_string(axis) +
                            ", not the channel (last) axis");
              for (Tensor& t : w) t = gather(t, keepIndices(pending.kept), 0);
              changed = true;
              break;
            }
            case Role::flatten: {
              if (l.config().value("data_format", "channels_last") == "channels_first")
                throw Error("pruneStructured: " + l.describe() + " uses data_format channels_first");
              // Row-major flattening of [..., C]: element (p, c) lands at p * C + c.
              const int64_t channels = inShape.back();
              int64_t positions = 1;
              for (size_t d = 1; d + 1 < inShape.size(); ++d) positions *= inShape[d];
              std::vector<int64_t> rows;
              for (int64_t p = 0; p < positions; ++p)
                for (int64_t c : pending.kept) rows.push_back(p * channels + c);
              pending.kept = std::move(rows);
              break;
            }
            case Role::perChannel:
              break;
          }
        }
        if (selected[i]) {
          const ProducerInfo& info = producers().at(l.className());
          std::vector<int64_t> kept = chooseKept(w[0], info.outAxis, args.fraction);
          Tensor idx = keepIndices(kept);
          result.layers.push_back({l.name(), l.className(), w[0].shape()[static_cast<size_t>(info.outAxis)],
                                   static_cast<int64_t>(kept.size()), kept});
          w[0] = gather(w[0], idx, info.outAxis);
          if (w.size() > 1) w[1] = gather(w[1], idx, 0);  // bias
          config["layers"][i]["config"][info.sizeKey] = static_cast<int64_t>(kept.size());
          pending = {true, i, kept};
          changed = true;
        }
        if (changed)
          for (size_t j = 0; j < w.size(); ++j)  // unchanged ones are the original's variables: clone
            newWeights[i].push_back(own(w[j].id() == l.ownWeights()[j].value.id() ? w[j].clone() : w[j]));
      }
    });

    // Build the smaller model from the edited config; weights are set below (no initializers).
    std::shared_ptr<layers::Model> built;
    tidy([&] { built = std::make_shared<layers::Model>("Sequential", config, "pruneStructured: model '" + m.name() + "'"); });
    if (m.config().contains("__trainingConfig")) built->mutableConfig()["__trainingConfig"] = m.config()["__trainingConfig"];
    LayersModel pruned(built);
    tidy([&] {
      for (size_t i = 0; i < chain.size(); ++i) {
        layers::Layer& target = pruned.getLayer(chain[i]->name());
        auto& dst = target.ownWeights();
        auto& src = chain[i]->ownWeights();
        for (size_t j = 0; j < dst.size(); ++j)
          dst[j].value.assign(newWeights[i].empty() ? Tensor(src[j].value) : newWeights[i][j]);
      }
    });
    result.model = pruned;
  } catch (...) {
    for (Tensor& t : owned) t.dispose();
    throw;
  }
  for (Tensor& t : owned) t.dispose();
  result.paramsAfter = result.model.countParams();
  return result;
}

}  // namespace strata
