// Initializers, regularizers and constraints of a model's weights, read from each layer's Keras
// config with tfjs-layers semantics (tfjs-layers/src/{initializers,regularizers,constraints}.ts
// and each layer class's defaults). A weight's short name selects its config keys through one
// table; wrappers (Bidirectional, TimeDistributed) and generic RNNs keep the inner layer's or
// cell's config under config.layer / config.cell, which resolve() follows.
#include "models/weight_policies.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "models/keras_object.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/initializers.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

// ---- which config keys a weight reads ----------------------------------------------------

// Weight short name -> prefix of its config keys (<prefix>_initializer, _regularizer,
// _constraint) and tfjs-layers' default initializer when the config has none.
struct WeightRule {
  const char* weight;
  const char* prefix;
  const char* defaultInitializer;
};
constexpr WeightRule kRules[] = {
    {"kernel", "kernel", "glorotNormal"},  // TF.js Dense, Conv*, RNN cells (Keras: glorot_uniform)
    {"bias", "bias", "zeros"},
    {"recurrent_kernel", "recurrent", "orthogonal"},
    {"depthwise_kernel", "depthwise", "glorotNormal"},  // DepthwiseConv2D (BaseConv's default)
    {"pointwise_kernel", "pointwise", "glorotUniform"},
    {"gamma", "gamma", "ones"},
    {"beta", "beta", "zeros"},
    {"moving_mean", "moving_mean", "zeros"},
    {"moving_variance", "moving_variance", "ones"},
    {"embeddings", "embeddings", "randomUniform"},  // [-0.05, 0.05)
    {"alpha", "alpha", "zeros"},                    // PReLU
};

// Classes whose default for a weight differs from the table.
struct ClassDefault {
  const char* cls;
  const char* weight;
  const char* initializer;
};
constexpr ClassDefault kClassDefaults[] = {
    {"SeparableConv1D", "depthwise_kernel", "glorotUniform"},
    {"SeparableConv2D", "depthwise_kernel", "glorotUniform"},
};

const WeightRule* ruleFor(const std::string& weight) {
  for (const WeightRule& r : kRules)
    if (weight == r.weight) return &r;
  return nullptr;
}

std::string prefixFor(const std::string& weight) {
  const WeightRule* r = ruleFor(weight);
  return r ? r->prefix : weight;
}

// The config a weight's keys live in: the layer's own, or an inner layer's or cell's.
struct Resolved {
  const Json* config;
  std::string cls;     // class of that config ("LSTM", "LSTMCell", ...)
  std::string weight;  // short name within it ("kernel")
  std::string path;    // JSON path of that config from the layer's, for errors ("config.layer.config.")
};

const Json* member(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

const Json& configOf(const Json& spec) {
  static const Json kEmpty = Json::object();
  const Json* c = member(spec, "config");
  return c && c->is_object() ? *c : kEmpty;
}

std::string classOf(const Json& spec) {
  const Json* c = member(spec, "class_name");
  return c && c->is_string() ? c->get<std::string>() : "";
}

Resolved resolve(const Json& cfg, const std::string& cls, const std::string& weight, const std::string& path) {
  // Bidirectional: "forward_<name>/kernel" in config.layer, "backward_<name>/kernel" in
  // config.backward_layer when given (Keras), else in config.layer too.
  if (cls == "Bidirectional") {
    const size_t slash = weight.find('/');
    const Json* spec = member(cfg, "layer");
    if (slash != std::string::npos && spec) {
      const Json* back = member(cfg, "backward_layer");
      const bool backward = weight.rfind("backward_", 0) == 0 && back;
      const Json& s = backward ? *back : *spec;
      return resolve(configOf(s), classOf(s), weight.substr(slash + 1),
                     path + (backward ? "backward_layer.config." : "layer.config."));
    }
  }
  if (cls == "TimeDistributed")
    if (const Json* spec = member(cfg, "layer")) return resolve(configOf(*spec), classOf(*spec), weight, path + "layer.config.");
  // Generic RNN / StackedRNNCells: one cell, or a list whose cell i owns "RNNCell_i/<name>".
  const Json* cells = nullptr;
  std::string cellsPath;
  if (const Json* cell = member(cfg, "cell")) {
    if (cell->is_array()) {
      cells = cell;
      cellsPath = path + "cell";
    } else if (classOf(*cell) == "StackedRNNCells") {
      cells = member(configOf(*cell), "cells");
      cellsPath = path + "cell.config.cells";
    } else if (cell->is_object()) {
      return resolve(configOf(*cell), classOf(*cell), weight, path + "cell.config.");
    }
  } else if (cls == "StackedRNNCells") {
    cells = member(cfg, "cells");
    cellsPath = path + "cells";
  }
  if (cells && cells->is_array() && weight.rfind("RNNCell_", 0) == 0) {
    const size_t slash = weight.find('/');
    const size_t i = std::strtoul(weight.c_str() + 8, nullptr, 10);
    if (slash != std::string::npos && i < cells->size()) {
      const Json& s = (*cells)[i];
      return resolve(configOf(s), classOf(s), weight.substr(slash + 1),
                     cellsPath + "[" + std::to_string(i) + "].config.");
    }
  }
  return {&cfg, cls, weight, path};
}

Resolved resolve(Layer& layer, const Weight& w) { return resolve(layer.config(), layer.className(), w.name, "config."); }

// ---- initialization ----------------------------------------------------------------------

// Independent seeds for weight k of a seeded initialization (splitmix64 of seed and k).
uint64_t streamSeed(uint64_t seed, uint64_t k) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (k + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Tensor initialValue(Layer& layer, const Weight& w, std::optional<uint64_t> seed) {
  const Resolved r = resolve(layer, w);
  const std::string key = prefixFor(r.weight) + "_initializer";
  const std::string ctx = layer.describe() + ": " + r.path + key;
  Json spec;
  if (const Json* given = keras::field(*r.config, key.c_str())) {
    spec = *given;
  } else {
    const WeightRule* rule = ruleFor(r.weight);
    if (!rule)
      throw Error(layer.describe() + ": weight '" + w.name + "' has no " + r.path + key +
                  " and no default initializer is known for it");
    spec = rule->defaultInitializer;
    for (const ClassDefault& d : kClassDefaults)
      if (r.cls == d.cls && r.weight == d.weight) spec = d.initializer;
  }
  const Shape& shape = w.value.shape();
  // LSTM unit_forget_bias (absent: false, as tfjs-layers): the forget gate's quarter of the bias
  // is ones, the rest comes from the bias initializer applied to [units] and [2 * units].
  const bool lstm = r.cls == "LSTM" || r.cls == "LSTMCell";
  const Json* ufb = keras::field(*r.config, "unit_forget_bias");
  if (lstm && r.weight == "bias" && ufb && ufb->is_boolean() && ufb->get<bool>() && shape.size() == 1 &&
      shape[0] % 4 == 0) {
    const int64_t units = shape[0] / 4;
    auto part = [&](uint64_t k) { return seed ? std::optional<uint64_t>(streamSeed(*seed, k)) : std::nullopt; };
    return concat({initializers::fromConfig(spec, {units}, part(0), ctx), ones({units}),
                   initializers::fromConfig(spec, {2 * units}, part(1), ctx)},
                  0);
  }
  return initializers::fromConfig(spec, shape, seed, ctx);
}

template <class F>
void forEachLayer(Model& model, F&& f) {
  for (auto& l : model.layers) {
    if (auto* inner = dynamic_cast<Model*>(l.get())) forEachLayer(*inner, f);
    else f(*l);
  }
}

// ---- regularizers and constraints, parsed once per layer ----------------------------------

struct Regularizer {
  float l1 = 0, l2 = 0;
};

enum class ConstraintKind { maxNorm, minMaxNorm, nonNeg, unitNorm };
struct Constraint {
  ConstraintKind kind;
  float minValue = 0, maxValue = 0, rate = 1;
  std::vector<int> axes;  // normalized to the weight's rank
};

struct WeightPolicy {
  std::optional<Regularizer> regularizer;
  std::optional<Constraint> constraint;
};

std::optional<Regularizer> parseRegularizer(const Json& spec, const std::string& ctx) {
  const keras::Object obj = keras::readObject(spec, "regularizer", ctx);
  const std::string name = keras::canonicalName(obj.className);
  const Json& c = *obj.config;
  const std::string cctx = ctx + (spec.is_object() ? ".config" : "");
  // tfjs-layers' L1L2 defaults a missing l1 or l2 to 0.01; Keras's L1 and L2 have one each.
  Regularizer r;
  if (name == "l1l2") {
    r.l1 = static_cast<float>(keras::number(c, "l1", nullptr, 0.01, cctx));
    r.l2 = static_cast<float>(keras::number(c, "l2", nullptr, 0.01, cctx));
  } else if (name == "l1") {
    r.l1 = static_cast<float>(keras::number(c, "l1", nullptr, 0.01, cctx));
  } else if (name == "l2") {
    r.l2 = static_cast<float>(keras::number(c, "l2", nullptr, 0.01, cctx));
  } else {
    throw Error(ctx + ": unknown regularizer class '" + obj.className + "' (known: L1L2, L1, L2)");
  }
  if (r.l1 == 0 && r.l2 == 0) return std::nullopt;  // adds nothing
  return r;
}

Constraint parseConstraint(const Json& spec, int rank, const std::string& ctx) {
  const keras::Object obj = keras::readObject(spec, "constraint", ctx);
  const std::string name = keras::canonicalName(obj.className);
  const Json& c = *obj.config;
  const std::string cctx = ctx + (spec.is_object() ? ".config" : "");
  auto num = [&](const char* snake, const char* camel, double fallback) {
    return static_cast<float>(keras::number(c, snake, camel, fallback, cctx));
  };
  Constraint k{};
  if (name == "maxnorm") {
    k.kind = ConstraintKind::maxNorm;
    k.maxValue = num("max_value", "maxValue", 2.0);
  } else if (name == "minmaxnorm") {
    k.kind = ConstraintKind::minMaxNorm;
    k.minValue = num("min_value", "minValue", 0.0);
    k.maxValue = num("max_value", "maxValue", 1.0);
    k.rate = num("rate", nullptr, 1.0);
  } else if (name == "nonneg") {
    k.kind = ConstraintKind::nonNeg;
    return k;
  } else if (name == "unitnorm") {
    k.kind = ConstraintKind::unitNorm;
  } else {
    throw Error(ctx + ": unknown constraint class '" + obj.className + "' (known: MaxNorm, MinMaxNorm, NonNeg, UnitNorm)");
  }
  for (int a : keras::ints(c, "axis", {0}, cctx)) {
    const int n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank)
      throw Error(cctx + ".axis " + std::to_string(a) + " is out of range for a weight of rank " + std::to_string(rank));
    k.axes.push_back(n);
  }
  return k;
}

struct LayerPolicies {
  std::vector<std::weak_ptr<detail::TensorNode>> nodes;  // the weights these were parsed for
  std::vector<WeightPolicy> weights;
  bool any = false;
};

LayerPolicies parsePolicies(Layer& layer, const std::vector<Weight*>& ws) {
  LayerPolicies p;
  for (Weight* w : ws) {
    p.nodes.push_back(w->value.node());
    const Resolved r = resolve(layer, *w);
    const std::string prefix = prefixFor(r.weight);
    const std::string regKey = prefix + "_regularizer", conKey = prefix + "_constraint";
    WeightPolicy wp;
    if (const Json* spec = keras::field(*r.config, regKey.c_str()))
      wp.regularizer = parseRegularizer(*spec, layer.describe() + ": " + r.path + regKey);
    if (const Json* spec = keras::field(*r.config, conKey.c_str()))
      wp.constraint = parseConstraint(*spec, w->value.rank(), layer.describe() + ": " + r.path + conKey);
    p.any = p.any || wp.regularizer || wp.constraint;
    p.weights.push_back(std::move(wp));
  }
  return p;
}

// Layer -> its parsed policies. An entry is valid while the layer's weights are the very
// variables it was parsed for (so a new layer at a freed layer's address is parsed afresh).
std::mutex gCacheMutex;
std::unordered_map<const Layer*, std::shared_ptr<const LayerPolicies>> gCache;

bool matches(const LayerPolicies& p, const std::vector<Weight*>& ws) {
  if (p.nodes.size() != ws.size()) return false;
  for (size_t i = 0; i < ws.size(); ++i)
    if (p.nodes[i].expired() || p.nodes[i].lock() != ws[i]->value.node()) return false;
  return true;
}

std::shared_ptr<const LayerPolicies> policiesOf(Layer& layer, const std::vector<Weight*>& ws) {
  {
    std::lock_guard<std::mutex> lock(gCacheMutex);
    auto it = gCache.find(&layer);
    if (it != gCache.end() && matches(*it->second, ws)) return it->second;
  }
  auto parsed = std::make_shared<const LayerPolicies>(parsePolicies(layer, ws));
  std::lock_guard<std::mutex> lock(gCacheMutex);
  // Drop entries of layers whose weights are gone (rare: only when parsing).
  for (auto it = gCache.begin(); it != gCache.end();) {
    bool dead = !it->second->nodes.empty();
    for (const auto& n : it->second->nodes) dead = dead && n.expired();
    it = dead ? gCache.erase(it) : std::next(it);
  }
  gCache[&layer] = parsed;
  return parsed;
}

// Calls f(weight, policy) for every weight that has a regularizer or a constraint.
template <class F>
void forEachPolicy(Model& model, F&& f) {
  forEachLayer(model, [&](Layer& layer) {
    std::vector<Weight*> ws = layer.allWeights();
    if (ws.empty()) return;
    std::shared_ptr<const LayerPolicies> p = policiesOf(layer, ws);
    if (!p->any) return;
    for (size_t i = 0; i < ws.size(); ++i) f(*ws[i], p->weights[i]);
  });
}

// tfjs-layers' epsilon() on float32 backends.
constexpr float kEpsilon = 1e-7f;

Tensor constrained(const Tensor& w, const Constraint& c) {
  if (c.kind == ConstraintKind::nonNeg) return relu(w);
  Tensor norms = sqrt(sum(mul(w, w), c.axes, true));
  Tensor denom = add(scalar(kEpsilon), norms);
  switch (c.kind) {
    case ConstraintKind::maxNorm:
      return mul(w, div(clipByValue(norms, 0.0f, c.maxValue), denom));
    case ConstraintKind::minMaxNorm: {
      Tensor desired = add(mul(scalar(c.rate), clipByValue(norms, c.minValue, c.maxValue)), mul(scalar(1.0f - c.rate), norms));
      return mul(w, div(desired, denom));
    }
    default:
      return div(w, denom);
  }
}

}  // namespace

void initializeWeights(Model& model, std::optional<uint64_t> seed) {
  uint64_t k = 0;
  forEachLayer(model, [&](Layer& layer) {
    for (Weight* w : layer.allWeights()) {
      const std::optional<uint64_t> s = seed ? std::optional<uint64_t>(streamSeed(*seed, k)) : std::nullopt;
      ++k;
      tidy([&] {
        Tensor v = initialValue(layer, *w, s);
        w->value.assign(v.dtype() == w->value.dtype() ? v : cast(v, w->value.dtype()));
      });
    }
  });
}

Tensor regularizationLoss(Model& model) {
  std::vector<std::pair<Tensor, Regularizer>> terms;
  forEachPolicy(model, [&](Weight& w, const WeightPolicy& p) {
    if (p.regularizer) terms.emplace_back(w.value, *p.regularizer);
  });
  if (terms.empty()) return Tensor();
  return tidy([&] {
    // As tfjs-layers' L1L2.apply: sum(l1 * |w|) + sum(l2 * w^2), each term only when nonzero.
    Tensor total;
    for (const auto& [w, r] : terms) {
      Tensor t;
      if (r.l1 != 0) t = sum(mul(scalar(r.l1), abs(w)));
      if (r.l2 != 0) {
        Tensor q = sum(mul(scalar(r.l2), square(w)));
        t = t.defined() ? add(t, q) : q;
      }
      total = total.defined() ? add(total, t) : t;
    }
    return total;
  });
}

void applyConstraints(Model& model) {
  forEachPolicy(model, [&](Weight& w, const WeightPolicy& p) {
    if (p.constraint) tidy([&] { w.value.assign(constrained(w.value, *p.constraint)); });
  });
}

}  // namespace strata::layers
