#include "models/inference_plan.h"

#include "core/engine.h"
#include "strata/engine.h"

namespace strata::layers {

namespace {

Weight* weightNamed(Layer& l, const char* name) {
  for (auto& w : l.ownWeights())
    if (w.name == name) return &w;
  return nullptr;
}

// Consumers of output 0 of node n.
std::vector<int> consumers(const Model& m, int n) {
  std::vector<int> out;
  const Node& node = m.nodes[n];
  for (size_t k = 0; k < m.nodes.size(); ++k)
    for (const TensorRef& r : m.nodes[k].inputs)
      if (r.layer == node.layer && r.node == node.index) out.push_back(static_cast<int>(k));
  return out;
}

bool isOutput(const Model& m, int n) {
  for (const TensorRef& r : m.outputs)
    if (r.layer == m.nodes[n].layer && r.node == m.nodes[n].index) return true;
  return false;
}

// The single node consuming node n's output, if exactly one does and n is not a model output.
int soleConsumer(const Model& m, int n) {
  auto c = consumers(m, n);
  return c.size() == 1 && !isOutput(m, n) ? c[0] : -1;
}

bool linearActivation(const Json& cfg) {
  return !cfg.contains("activation") || cfg["activation"].is_null() || cfg["activation"] == "linear";
}

// ReLU layers or Activation layers that a fused kernel can apply.
std::optional<Activation> fusableActivation(const Layer& l) {
  const Json& c = l.config();
  if (l.className() == "Activation" && c.contains("activation")) {
    if (c["activation"] == "relu") return Activation::relu;
    if (c["activation"] == "relu6") return Activation::relu6;
    return std::nullopt;
  }
  if (l.className() != "ReLU") return std::nullopt;
  auto num = [&](const char* k) { return c.contains(k) && !c[k].is_null() ? c[k].get<double>() : 0.0; };
  if (num("negative_slope") != 0 || num("threshold") != 0) return std::nullopt;
  if (!c.contains("max_value") || c["max_value"].is_null()) return Activation::relu;
  if (c["max_value"].get<double>() == 6.0) return Activation::relu6;
  return std::nullopt;
}

// Storage ids are never reused (a storage's address may be), so equal ids mean equal weights.
std::vector<uint64_t> sourcesOf(Model& m, const FusedConv& f) {
  std::vector<uint64_t> s;
  for (int n : {f.convNode, f.bnNode})
    for (auto& w : m.layers[m.nodes[n].layer]->ownWeights()) s.push_back(w.value.node()->storage->id);
  return s;
}

// ZeroPadding2D's {top, bottom, left, right} (the layer validated its config already).
std::array<int, 4> zeroPadding(const Json& c) {
  auto pair = [](const Json& v) {
    return v.is_number() ? std::array<int, 2>{v.get<int>(), v.get<int>()} : std::array<int, 2>{v[0].get<int>(), v[1].get<int>()};
  };
  if (!c.contains("padding")) return {1, 1, 1, 1};
  const Json& p = c["padding"];
  if (p.is_number()) return {p.get<int>(), p.get<int>(), p.get<int>(), p.get<int>()};
  auto h = pair(p[0]), w = pair(p[1]);
  return {h[0], h[1], w[0], w[1]};
}

// The ZeroPadding2D node feeding conv node n when only n reads it and n pads 'valid'; else -1.
int foldablePad(const Model& m, int n, const std::string& padding) {
  if (padding != "valid" || m.nodes[n].inputs.size() != 1) return -1;
  const TensorRef& in = m.nodes[n].inputs[0];
  for (size_t k = 0; k < m.nodes.size(); ++k) {
    const Node& node = m.nodes[k];
    if (node.layer != in.layer || node.index != in.node) continue;
    const Layer& l = *m.layers[node.layer];
    const Json& c = l.config();
    if (l.className() != "ZeroPadding2D" || (c.contains("data_format") && c["data_format"] == "channels_first")) return -1;
    return soleConsumer(m, static_cast<int>(k)) == n ? static_cast<int>(k) : -1;
  }
  return -1;
}

void fold(Model& m, FusedConv& f) {
  Layer& conv = *m.layers[m.nodes[f.convNode].layer];
  Layer& bn = *m.layers[m.nodes[f.bnNode].layer];
  const Json& bc = bn.config();
  float eps = bc.contains("epsilon") ? bc["epsilon"].get<float>() : 1e-3f;
  f.kernel.dispose();
  f.bias.dispose();
  auto [k, b] = tidy([&] {
    Tensor kernel = weightNamed(conv, f.depthwise ? "depthwise_kernel" : "kernel")->value;
    Tensor mean = weightNamed(bn, "moving_mean")->value;
    Tensor var = weightNamed(bn, "moving_variance")->value;
    Weight* gamma = weightNamed(bn, "gamma");
    Weight* beta = weightNamed(bn, "beta");
    Tensor s = rsqrt(add(var, scalar(eps)));
    if (gamma) s = mul(s, gamma->value);
    Tensor scaleK = f.depthwise ? reshape(s, {kernel.shape()[2], kernel.shape()[3]}) : s;
    Tensor newK = mul(kernel, scaleK);
    Weight* cb = weightNamed(conv, "bias");
    Tensor bias0 = cb ? cb->value : zerosLike(mean);
    Tensor newB = mul(sub(bias0, mean), s);
    if (beta) newB = add(newB, beta->value);
    return std::make_pair(keep(newK), keep(newB));
  });
  f.kernel = k;
  f.bias = b;
  f.sources = sourcesOf(m, f);
}

}  // namespace

InferencePlan planInference(Model& m) {
  InferencePlan plan;
  plan.skip.assign(m.nodes.size(), false);
  for (size_t n = 0; n < m.nodes.size(); ++n) {
    Layer& l = *m.layers[m.nodes[n].layer];
    bool depthwise = l.className() == "DepthwiseConv2D";
    if (l.className() != "Conv2D" && !depthwise) continue;
    const Json& c = l.config();
    if (!linearActivation(c) || (c.contains("data_format") && c["data_format"] == "channels_first")) continue;
    if (c.contains("groups") && c["groups"].is_number() && c["groups"].get<int>() != 1) continue;
    int bnNode = soleConsumer(m, static_cast<int>(n));
    if (bnNode < 0) continue;
    Layer& bn = *m.layers[m.nodes[bnNode].layer];
    if (bn.className() != "BatchNormalization") continue;
    const Json& bc = bn.config();
    int axis = bc.contains("axis") ? (bc["axis"].is_array() ? bc["axis"][0].get<int>() : bc["axis"].get<int>()) : -1;
    if (axis != -1 && axis != 3) continue;
    if (!weightNamed(bn, "moving_mean") || !weightNamed(bn, "moving_variance")) continue;
    FusedConv f;
    f.convNode = static_cast<int>(n);
    f.bnNode = bnNode;
    f.depthwise = depthwise;
    auto ints = [&](const char* key, std::array<int, 2> fallback) {
      if (!c.contains(key)) return fallback;
      if (c[key].is_number()) return std::array<int, 2>{c[key].get<int>(), c[key].get<int>()};
      return std::array<int, 2>{c[key][0].get<int>(), c[key][c[key].size() > 1 ? 1 : 0].get<int>()};
    };
    f.strides = ints("strides", {1, 1});
    // TF.js's DepthwiseConv2D ignores dilation_rate (and so does the layer): fold the same way.
    f.dilations = depthwise ? std::array<int, 2>{1, 1} : ints("dilation_rate", {1, 1});
    std::string padding = c.contains("padding") && c["padding"].is_string() ? c["padding"].get<std::string>() : "valid";
    if (padding != "same" && padding != "valid") {
      if (!depthwise) continue;  // Conv2D rejects other paddings itself; leave it unfused
      padding = "valid";         // TF.js treats causal as valid for depthwise
    }
    f.pad = Padding(padding);
    f.padNode = foldablePad(m, static_cast<int>(n), padding);
    if (f.padNode >= 0) {
      auto p = zeroPadding(m.layers[m.nodes[f.padNode].layer]->config());
      f.pad = Padding::explicitPads(p[0], p[1], p[2], p[3]);
      plan.skip[f.padNode] = true;
    }
    int last = bnNode;
    int act = soleConsumer(m, bnNode);
    if (act >= 0)
      if (auto a = fusableActivation(*m.layers[m.nodes[act].layer])) {
        f.actNode = act;
        f.activation = *a;
        last = act;
      }
    plan.skip[n] = plan.skip[bnNode] = true;
    if (f.actNode >= 0) plan.skip[f.actNode] = true;
    plan.fusedAt[last] = static_cast<int>(plan.fused.size());
    plan.fused.push_back(std::move(f));
  }
  return plan;
}

TensorRef chainInput(const Model& m, const FusedConv& f) {
  return m.nodes[f.padNode >= 0 ? f.padNode : f.convNode].inputs[0];
}

Tensor runFused(Model& m, FusedConv& f, const Tensor& x) {
  if (!f.kernel.defined() || f.sources != sourcesOf(m, f)) fold(m, f);
  FusedConv2DOptions o;
  o.strides = f.strides;
  o.pad = f.pad;
  o.dilations = f.dilations;
  o.bias = f.bias;
  o.activation = f.activation;
  return f.depthwise ? fusedDepthwiseConv2d(x, f.kernel, o) : fusedConv2d(x, f.kernel, o);
}

}  // namespace strata::layers
