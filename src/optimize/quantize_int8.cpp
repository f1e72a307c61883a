// Post-training static int8 quantization (strata::quantizeInt8): find the quantizable chains
// of the graph (ZeroPadding2D? -> Conv2D/DepthwiseConv2D/Dense -> BatchNormalization? ->
// ReLU/ReLU6?), record the calibration range of each chain's input and output tensor while the
// float model runs, then rewrite the model config (chains become one int8 layer of
// src/optimize/int8_layers.cpp; the folded layers disappear) and compute its weights: the
// BatchNormalization folded into the kernel and bias, then per-channel symmetric int8 kernels.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "models/activations.h"
#include "models/model.h"
#include "optimize/int8_layers.h"
#include "strata/engine.h"
#include "strata/optimize/quantize.h"

namespace strata {

using layers::Json;
using layers::Layer;
using layers::Model;
using layers::TensorRef;
using layers::SymShape;
using layers::Weight;

namespace {

// ---- the chains ----------------------------------------------------------------------------

struct Chain {
  int pad = -1, anchor = -1, bn = -1, act = -1;  // node indices; -1 = absent
  std::array<int, 4> pads{0, 0, 0, 0};           // top, bottom, left, right of the absorbed padding
  std::string activation = "linear";             // after folding (the anchor's own if not fusable)
  bool fused = true;                             // activation runs inside the int8 kernel
  int first() const { return pad >= 0 ? pad : anchor; }
  int last() const { return act >= 0 ? act : bn >= 0 ? bn : anchor; }
};

Layer& layerOf(Model& m, int node) { return *m.layers[m.nodes[node].layer]; }

std::vector<int> consumers(const Model& m, int n) {
  std::vector<int> out;
  const auto& node = m.nodes[n];
  for (size_t k = 0; k < m.nodes.size(); ++k)
    for (const TensorRef& r : m.nodes[k].inputs)
      if (r.layer == node.layer && r.node == node.index) out.push_back(static_cast<int>(k));
  return out;
}

bool isModelOutput(const Model& m, const TensorRef& r) {
  for (const TensorRef& o : m.outputs)
    if (o.layer == r.layer && o.node == r.node && o.tensor == r.tensor) return true;
  return false;
}

TensorRef outputOf(const Model& m, int n) { return {m.nodes[n].layer, m.nodes[n].index, 0}; }

// The node consuming node n's output when exactly one does (and n is no model output).
int soleConsumer(const Model& m, int n) {
  auto c = consumers(m, n);
  return c.size() == 1 && !isModelOutput(m, outputOf(m, n)) ? c[0] : -1;
}

bool singleCall(const Model& m, int n) {
  int calls = 0;
  for (const auto& node : m.nodes) calls += node.layer == m.nodes[n].layer;
  return calls == 1 && m.nodes[n].inputs.size() == 1;
}

Weight* weightNamed(Layer& l, const std::string& name) {
  for (auto& w : l.ownWeights())
    if (w.name == name) return &w;
  return nullptr;
}

std::string activationName(const Json& cfg, const std::string& context) {
  return layers::getActivation(cfg.contains("activation") ? cfg["activation"] : Json(), context).name;
}
bool fusable(const std::string& a) { return a == "linear" || a == "relu" || a == "relu6"; }

// "relu" / "relu6" for a ReLU or Activation layer a kernel can apply; "" otherwise.
std::string activationLayer(const Layer& l) {
  const Json& c = l.config();
  if (l.className() == "Activation") {
    std::string a = activationName(c, l.describe());
    return a == "relu" || a == "relu6" ? a : "";
  }
  if (l.className() != "ReLU") return "";
  auto num = [&](const char* k) { return c.contains(k) && c[k].is_number() ? c[k].get<double>() : 0.0; };
  if (num("negative_slope") != 0 || num("threshold") != 0) return "";
  if (!c.contains("max_value") || c["max_value"].is_null()) return "relu";
  return c["max_value"].is_number() && c["max_value"].get<double>() == 6.0 ? "relu6" : "";
}

bool channelsLast(const Json& c) {
  return !c.contains("data_format") || c["data_format"].is_null() || c["data_format"] == "channels_last" ||
         c["data_format"] == "channelsLast";
}

// The explicit {top, bottom, left, right} of a ZeroPadding2D config; nullopt if unreadable.
std::optional<std::array<int, 4>> zeroPadding(const Json& c) {
  if (!channelsLast(c)) return std::nullopt;
  const Json p = c.contains("padding") ? c["padding"] : Json(1);
  auto pair = [](const Json& v) -> std::optional<std::array<int, 2>> {
    if (v.is_number_integer()) return std::array<int, 2>{v.get<int>(), v.get<int>()};
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer())
      return std::array<int, 2>{v[0].get<int>(), v[1].get<int>()};
    return std::nullopt;
  };
  if (p.is_number_integer()) return std::array<int, 4>{p.get<int>(), p.get<int>(), p.get<int>(), p.get<int>()};
  if (!p.is_array() || p.size() != 2) return std::nullopt;
  auto h = pair(p[0]), w = pair(p[1]);
  if (!h || !w) return std::nullopt;
  return std::array<int, 4>{(*h)[0], (*h)[1], (*w)[0], (*w)[1]};
}

// Why node n's layer cannot become an int8 layer ("" if it can).
std::string unsupported(const Model& m, int n) {
  const Layer& l = *m.layers[m.nodes[n].layer];
  const Json& c = l.config();
  if (!singleCall(m, n)) return "called more than once (shared) or with several inputs";
  if (l.className() == "Dense") return "";
  if (!channelsLast(c)) return "channels_first";
  if (c.contains("groups") && c["groups"].is_number() && c["groups"].get<int>() != 1) return "grouped convolution";
  const std::string padding = c.contains("padding") && c["padding"].is_string() ? c["padding"].get<std::string>() : "valid";
  if (padding != "same" && padding != "valid") return "padding '" + padding + "'";
  return "";
}

std::vector<Chain> findChains(Model& m, Int8Report& report) {
  std::vector<Chain> chains;
  for (size_t k = 0; k < m.nodes.size(); ++k) {
    const int n = static_cast<int>(k);
    Layer& l = layerOf(m, n);
    if (int8::twinOf(l.className()).empty()) continue;
    if (std::string why = unsupported(m, n); !why.empty()) {
      report.skipped.push_back(l.name() + ": " + why);
      continue;
    }
    Chain ch;
    ch.anchor = n;
    ch.activation = activationName(l.config(), l.describe());
    ch.fused = fusable(ch.activation);
    const bool conv = l.className() != "Dense";
    // A ZeroPadding2D feeding only a 'valid' convolution becomes the convolution's padding.
    const TensorRef src = m.nodes[n].inputs[0];
    for (size_t p = 0; conv && p < m.nodes.size(); ++p) {
      const int pn = static_cast<int>(p);
      if (m.nodes[p].layer != src.layer || m.nodes[p].index != src.node) continue;
      Layer& pl = layerOf(m, pn);
      const bool valid = !l.config().contains("padding") || l.config()["padding"] == "valid";
      if (pl.className() == "ZeroPadding2D" && valid && singleCall(m, pn) && soleConsumer(m, pn) == n)
        if (auto pads = zeroPadding(pl.config())) {
          ch.pad = pn;
          ch.pads = *pads;
        }
    }
    if (ch.activation == "linear") {
      const int b = soleConsumer(m, n);
      if (b >= 0 && layerOf(m, b).className() == "BatchNormalization" && singleCall(m, b)) {
        Layer& bn = layerOf(m, b);
        const Json& bc = bn.config();
        int axis = -1;
        if (bc.contains("axis")) axis = bc["axis"].is_array() ? (bc["axis"].size() == 1 ? bc["axis"][0].get<int>() : 99)
                                                             : bc["axis"].get<int>();
        const int rank = conv ? 4 : static_cast<int>(m.nodes[n].outputShapes[0].size());
        if ((axis == -1 || axis == rank - 1) && weightNamed(bn, "moving_mean") && weightNamed(bn, "moving_variance"))
          ch.bn = b;
      }
      const int a = soleConsumer(m, ch.last());
      if (a >= 0 && singleCall(m, a))
        if (std::string act = activationLayer(layerOf(m, a)); !act.empty()) {
          ch.act = a;
          ch.activation = act;
        }
    }
    chains.push_back(ch);
  }
  return chains;
}

// ---- calibration ---------------------------------------------------------------------------

struct Range {
  float lo = 0, hi = 0;  // always includes 0 (zero must be exact: padding, ReLU)
};

// Stands in for a layer while the float model runs on the calibration data: records the range
// of its input and/or output, then lets the real layer compute.
class Recorder : public Layer {
 public:
  Recorder(Layer& inner, Range* in, Range* out) : Layer(inner.config(), inner.className()), inner_(inner), in_(in), out_(out) {}
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& s) const override { return inner_.outputShapes(s); }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const layers::CallArgs& args) override {
    if (in_) record(inputs[0], *in_);
    auto outs = inner_.call(inputs, args);
    if (out_) record(outs[0], *out_);
    return outs;
  }
  Tensor computeMask(const std::vector<Tensor>& i, const std::vector<Tensor>& m) const override { return inner_.computeMask(i, m); }
  bool supportsMasking() const override { return inner_.supportsMasking(); }

 private:
  static void record(const Tensor& x, Range& r) {
    if (x.size() == 0) return;
    tidy([&] {
      Tensor f = x.dtype() == DType::float32 ? x : cast(x, DType::float32);
      r.lo = std::min(r.lo, min(f).item<float>());
      r.hi = std::max(r.hi, max(f).item<float>());
    });
  }
  Layer& inner_;
  Range *in_, *out_;
};

void checkCalibration(const LayersModel& model, const std::vector<Tensor>& xs) {
  const auto inputs = model.inputs();
  const std::string where = "quantizeInt8: model '" + model.name() + "'";
  if (xs.size() != inputs.size())
    throw Error(where + " has " + std::to_string(inputs.size()) + " input(s), but " + std::to_string(xs.size()) +
                " calibration tensor(s) were given");
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined() || xs[i].isDisposed()) throw Error(where + ": calibration input " + std::to_string(i) + " is empty or disposed");
    const Shape& s = xs[i].shape();
    const Shape& want = inputs[i].shape;
    bool ok = s.size() == want.size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = want[d] < 0 || want[d] == s[d];
    std::string w = "[";
    for (size_t d = 0; d < want.size(); ++d) {
      if (d) w += ",";
      w += want[d] < 0 ? std::string("null") : std::to_string(want[d]);
    }
    w += "]";
    if (!ok)
      throw Error(where + ": calibration input " + std::to_string(i) + " has shape " + shapeString(s) + ", but input '" +
                  inputs[i].name + "' expects " + w);
    if (s.empty() || s[0] == 0) throw Error(where + ": calibration input " + std::to_string(i) + " holds no samples");
    if (s[0] != xs[0].shape()[0])
      throw Error(where + ": calibration inputs disagree on the sample count (" + std::to_string(xs[0].shape()[0]) +
                  " and " + std::to_string(s[0]) + ")");
    if (xs[i].dtype() != DType::float32 && xs[i].dtype() != inputs[i].dtype)
      throw Error(where + ": calibration input " + std::to_string(i) + " is " + std::string(dtypeName(xs[i].dtype())) +
                  ", the model's input is " + std::string(dtypeName(inputs[i].dtype)));
  }
}

// Runs the calibration data with Recorders in place of each chain's first and last layer.
std::map<TensorRef, Range> calibrate(const LayersModel& model, const std::vector<Chain>& chains,
                                     const std::vector<Tensor>& xs, int batchSize) {
  Model& m = model.impl();
  std::map<TensorRef, Range> ranges;
  std::map<int, std::pair<Range*, Range*>> watch;  // layer index -> (input range, output range)
  for (const Chain& c : chains) {
    watch[m.nodes[c.first()].layer].first = &ranges[m.nodes[c.first()].inputs[0]];
    watch[m.nodes[c.last()].layer].second = &ranges[outputOf(m, c.last())];
  }
  struct Restore {
    Model& m;
    std::vector<std::pair<int, std::unique_ptr<Layer>>> saved;
    ~Restore() {
      for (auto& s : saved) m.layers[s.first] = std::move(s.second);
    }
  } restore{m, {}};
  for (auto& w : watch) {
    auto rec = std::make_unique<Recorder>(*m.layers[w.first], w.second.first, w.second.second);
    restore.saved.emplace_back(w.first, std::move(m.layers[w.first]));
    m.layers[w.first] = std::move(rec);
  }
  // Unfused: the fused plan would look for the real layers' classes.
  tidy([&] { model.predict(xs, PredictOptions{.batchSize = batchSize, .fuseOps = false}); });
  return ranges;
}

// uint8 affine parameters covering [lo, hi] (which includes 0, so zero is exact).
Json activationParams(const Range& r) {
  const float span = r.hi - r.lo;
  if (!(span > 0) || !std::isfinite(span)) return Json{{"scale", 1.0}, {"zero_point", 0}};
  const float scale = span / 255.f;
  const int zp = std::clamp(static_cast<int>(std::nearbyint(-r.lo / scale)), 0, 255);
  return Json{{"scale", scale}, {"zero_point", zp}};
}

// ---- weights -------------------------------------------------------------------------------

struct Int8Weights {
  Tensor kernel, scales, bias;
};

// The chain's float kernel and bias with the BatchNormalization folded in, quantized per
// output channel (the last axis; depthwise [kh, kw, c, mult] channel c * mult + m, also the
// flat index modulo c * mult).
Int8Weights quantizeWeights(Model& m, const Chain& c, int bits) {
  Layer& l = layerOf(m, c.anchor);
  const bool depthwise = l.className() == "DepthwiseConv2D";
  const Tensor k = weightNamed(l, depthwise ? "depthwise_kernel" : "kernel")->value;
  const Shape& ks = k.shape();
  const int64_t outC = depthwise ? ks[2] * ks[3] : ks.back();
  std::vector<float> w = k.dataSync<float>();
  std::vector<double> bias(static_cast<size_t>(outC), 0.0), s(static_cast<size_t>(outC), 1.0);
  if (Weight* b = weightNamed(l, "bias")) {
    auto v = b->value.dataSync<float>();
    std::copy(v.begin(), v.end(), bias.begin());
  }
  if (c.bn >= 0) {
    Layer& bn = layerOf(m, c.bn);
    const Json& bc = bn.config();
    const double eps = bc.contains("epsilon") && bc["epsilon"].is_number() ? bc["epsilon"].get<double>() : 1e-3;
    auto vec = [&](const char* name, double fallback) {
      Weight* wt = weightNamed(bn, name);
      if (!wt) return std::vector<double>(static_cast<size_t>(outC), fallback);
      auto v = wt->value.dataSync<float>();
      return std::vector<double>(v.begin(), v.end());
    };
    auto gamma = vec("gamma", 1), beta = vec("beta", 0), mean = vec("moving_mean", 0), var = vec("moving_variance", 1);
    for (int64_t ch = 0; ch < outC; ++ch) {
      s[ch] = gamma[ch] / std::sqrt(var[ch] + eps);
      bias[ch] = (bias[ch] - mean[ch]) * s[ch] + beta[ch];
    }
  }
  const int qmax = (1 << (bits - 1)) - 1;
  std::vector<double> absmax(static_cast<size_t>(outC), 0.0);
  for (size_t i = 0; i < w.size(); ++i) absmax[i % outC] = std::max(absmax[i % outC], std::abs(w[i] * s[i % outC]));
  std::vector<float> scales(static_cast<size_t>(outC));
  for (int64_t ch = 0; ch < outC; ++ch) scales[ch] = absmax[ch] > 0 ? static_cast<float>(absmax[ch] / qmax) : 1.f;
  std::vector<uint8_t> q(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const double v = std::nearbyint(w[i] * s[i % outC] / scales[i % outC]);
    q[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(v, -double(qmax), double(qmax))));
  }
  std::vector<float> b(bias.begin(), bias.end());
  return {tensorFromBytes(q, ks, DType::int8), tensor(scales, {outC}), tensor(b, {outC})};
}

// ---- the new config ------------------------------------------------------------------------

Json twinConfig(Model& m, const Chain& c, const Json& quantization) {
  Layer& l = layerOf(m, c.anchor);
  Json cfg = l.config();
  cfg["name"] = l.name();
  cfg["activation"] = c.activation;
  cfg["use_bias"] = true;  // the folded bias (zeros if the layer had none)
  if (c.pad >= 0) cfg["padding"] = Json::array({Json::array({c.pads[0], c.pads[1]}), Json::array({c.pads[2], c.pads[3]})});
  cfg["quantization"] = quantization;
  return cfg;
}

// Rewrites toConfig()'s Keras 2 config: chain anchors become int8 classes, folded layers go and
// references to their outputs point to what replaces them.
Json rewriteConfig(Model& m, const std::vector<Chain>& chains, const std::map<int, Json>& twins) {
  Json cfg = m.toConfig();
  std::set<std::string> removed;
  std::map<std::string, Json> replacement;  // removed layer name -> [layer, node, tensor] of its stand-in
  std::map<std::string, int> anchorOf;      // anchor layer name -> chain index
  for (size_t i = 0; i < chains.size(); ++i) {
    const Chain& c = chains[i];
    const std::string anchor = layerOf(m, c.anchor).name();
    anchorOf[anchor] = static_cast<int>(i);
    for (int n : {c.bn, c.act})
      if (n >= 0) {
        removed.insert(layerOf(m, n).name());
        replacement[layerOf(m, n).name()] = Json::array({anchor, 0, 0});
      }
    if (c.pad >= 0) {
      const TensorRef& r = m.nodes[c.pad].inputs[0];
      removed.insert(layerOf(m, c.pad).name());
      replacement[layerOf(m, c.pad).name()] = Json::array({m.layers[r.layer]->name(), r.node, r.tensor});
    }
  }
  auto resolve = [&](Json& ref) {
    while (ref.is_array() && ref.size() >= 3 && ref[0].is_string() && replacement.count(ref[0].get<std::string>())) {
      const Json& to = replacement[ref[0].get<std::string>()];
      ref[0] = to[0];
      ref[1] = to[1];
      ref[2] = to[2];
    }
  };
  Json kept = Json::array();
  Json pendingInputShape;  // a removed first Sequential layer's batch_input_shape
  for (Json& e : cfg["layers"]) {
    const std::string name = e["config"]["name"].get<std::string>();
    if (removed.count(name)) {
      if (e["config"].contains("batch_input_shape")) pendingInputShape = e["config"]["batch_input_shape"];
      continue;
    }
    if (auto it = anchorOf.find(name); it != anchorOf.end()) {
      e["class_name"] = int8::twinOf(e["class_name"].get<std::string>());
      Json c = twins.at(it->second);
      if (e["config"].contains("batch_input_shape")) c["batch_input_shape"] = e["config"]["batch_input_shape"];
      e["config"] = c;
    }
    if (!pendingInputShape.is_null() && !e["config"].contains("batch_input_shape")) {
      e["config"]["batch_input_shape"] = pendingInputShape;
      pendingInputShape = Json();
    }
    if (e.contains("inbound_nodes"))
      for (Json& node : e["inbound_nodes"])
        for (Json& ref : node) resolve(ref);
    kept.push_back(e);
  }
  cfg["layers"] = kept;
  if (cfg.contains("output_layers"))
    for (Json& ref : cfg["output_layers"]) resolve(ref);
  return cfg;
}

// Every weight of a model by "layer/weight" (nested models' layers under their own names too,
// as save() writes them).
void forEachWeight(Model& m, const std::function<void(const std::string&, Weight&)>& f) {
  for (auto& l : m.layers) {
    if (auto* inner = dynamic_cast<Model*>(l.get())) {
      forEachWeight(*inner, f);
      continue;
    }
    for (auto& w : l->ownWeights()) f(l->name() + "/" + w.name, w);
  }
}

}  // namespace

LayersModel quantizeInt8(const LayersModel& model, const std::vector<Tensor>& calibration, const Int8Options& options,
                         Int8Report* reportOut) {
  for (auto [name, bits] : {std::pair{"weightBits", options.weightBits}, {"depthwiseWeightBits", options.depthwiseWeightBits}})
    if (bits < 2 || bits > 8) throw Error(std::string("quantizeInt8: ") + name + " must be in [2, 8], got " + std::to_string(bits));
  if (options.batchSize <= 0) throw Error("quantizeInt8: batchSize must be positive, got " + std::to_string(options.batchSize));
  if (isInt8Quantized(model)) throw Error("quantizeInt8: model '" + model.name() + "' is already int8-quantized");
  checkCalibration(model, calibration);
  Model& m = model.impl();
  Int8Report report;
  report.calibrationSamples = calibration[0].shape()[0];
  const std::vector<Chain> chains = findChains(m, report);
  const auto ranges = calibrate(model, chains, calibration, options.batchSize);

  // A chain whose output feeds only chains hands it on as uint8 (the consumers' input
  // parameters are the same tensor's, hence identical).
  std::set<int> chainFirsts;
  for (const Chain& c : chains) chainFirsts.insert(c.first());
  std::map<int, Json> twins;
  std::map<std::string, Int8Weights> weights;  // anchor layer name -> its int8 weights
  for (size_t i = 0; i < chains.size(); ++i) {
    const Chain& c = chains[i];
    const TensorRef out = outputOf(m, c.last());
    bool handOn = c.fused && !isModelOutput(m, out);
    for (int k : consumers(m, c.last())) handOn = handOn && chainFirsts.count(k);
    const int bits = layerOf(m, c.anchor).className() == "DepthwiseConv2D" ? options.depthwiseWeightBits : options.weightBits;
    Json q{{"input", activationParams(ranges.at(m.nodes[c.first()].inputs[0]))}, {"weight_bits", bits}};
    if (handOn) q["output"] = activationParams(ranges.at(out));
    twins[static_cast<int>(i)] = twinConfig(m, c, q);
    weights[layerOf(m, c.anchor).name()] = quantizeWeights(m, c, bits);
    report.quantized.push_back(layerOf(m, c.anchor).name());
    for (int n : {c.pad, c.bn, c.act})
      if (n >= 0) report.folded.push_back(layerOf(m, n).name());
  }

  const Json cfg = rewriteConfig(m, chains, twins);
  std::shared_ptr<Model> built;
  tidy([&] { built = std::make_shared<Model>(m.isSequential() ? "Sequential" : "Model", cfg, "quantizeInt8"); });
  std::map<std::string, Tensor> original;
  forEachWeight(m, [&](const std::string& name, Weight& w) { original[name] = w.value; });
  tidy([&] {
    forEachWeight(*built, [&](const std::string& name, Weight& w) {
      const std::string layer = name.substr(0, name.rfind('/')), wname = name.substr(name.rfind('/') + 1);
      Tensor v;
      if (auto it = weights.find(layer); it != weights.end()) {
        v = wname == "kernel_scale" ? it->second.scales : wname == "bias" ? it->second.bias : it->second.kernel;
      } else {
        v = original.at(name);
      }
      w.value.assign(v);
    });
  });
  for (auto& w : weights) {
    w.second.kernel.dispose();
    w.second.scales.dispose();
    w.second.bias.dispose();
  }

  Json meta = m.config().contains("__userDefinedMetadata") && m.config()["__userDefinedMetadata"].is_object()
                  ? m.config()["__userDefinedMetadata"]
                  : Json::object();
  meta["strata_quantization"] = {{"scheme", "int8-static"},
                                 {"version", 1},
                                 {"weights", "int8, symmetric, per output channel"},
                                 {"weight_bits", options.weightBits},
                                 {"depthwise_weight_bits", options.depthwiseWeightBits},
                                 {"activations", "uint8, affine, per tensor"},
                                 {"calibration_samples", report.calibrationSamples},
                                 {"layers", report.quantized}};
  built->mutableConfig()["__userDefinedMetadata"] = meta;
  if (m.config().contains("__trainingConfig")) built->mutableConfig()["__trainingConfig"] = m.config()["__trainingConfig"];
  if (reportOut) *reportOut = report;
  return LayersModel(built);
}

bool isInt8Quantized(const LayersModel& model) {
  for (const auto& l : model.layers())
    if (int8::isInt8Class(l->className())) return true;
  return false;
}

}  // namespace strata
