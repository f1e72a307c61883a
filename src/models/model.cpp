// Building the graph of a Keras model from its config and running it.
#include "models/model.h"

#include "models/inference_plan.h"

#include <set>

#include "strata/engine.h"
#include "strata/error.h"

namespace strata::layers {

namespace {

bool isModelClass(const std::string& c) { return c == "Sequential" || c == "Model" || c == "Functional"; }

std::unique_ptr<Layer> makeLayer(const std::string& cls, const Json& config, const std::string& context) {
  if (isModelClass(cls)) return std::make_unique<Model>(cls, config, context);
  return createLayer(cls, config, context);
}

std::string jsonPath(const std::string& context, const std::string& path) { return context + ": " + path; }

// The batch shape a layer config declares for its input, if any (Keras 2 batch_input_shape,
// Keras 3 batch_shape, or input_shape without the batch).
std::optional<SymShape> declaredInputShape(const Json& config) {
  auto toShape = [](const Json& a) {
    SymShape s;
    for (const auto& e : a) s.push_back(e.is_null() ? -1 : e.get<int64_t>());
    return s;
  };
  for (const char* key : {"batch_input_shape", "batch_shape"})
    if (config.contains(key) && config[key].is_array()) return toShape(config[key]);
  if (config.contains("input_shape") && config["input_shape"].is_array()) {
    SymShape s{-1};
    for (int64_t d : toShape(config["input_shape"])) s.push_back(d);
    return s;
  }
  if (config.contains("input_dim") && config["input_dim"].is_number_integer())
    return SymShape{-1, config["input_dim"].get<int64_t>()};
  return std::nullopt;
}

// Collects keras_history triples from a Keras 3 call-argument structure, in order.
void collectHistory(const Json& v, std::vector<Json>& out) {
  if (v.is_object()) {
    if (v.contains("class_name") && v["class_name"] == "__keras_tensor__") {
      out.push_back(v["config"]["keras_history"]);
      return;
    }
    for (const auto& [k, x] : v.items()) collectHistory(x, out);
  } else if (v.is_array()) {
    for (const auto& x : v) collectHistory(x, out);
  }
}

}  // namespace

// ---- InputLayer -------------------------------------------------------------------------

InputLayer::InputLayer(const Json& config) : Layer(config, "InputLayer") {
  auto s = declaredInputShape(config_);
  if (!s) throw Error(describe() + ": config needs batch_input_shape, batch_shape or input_shape");
  batchShape = *s;
  if (config_.contains("dtype") && config_["dtype"].is_string()) {
    std::string d = config_["dtype"].get<std::string>();
    dtype = d == "int32" ? DType::int32 : d == "bool" ? DType::bool_ : DType::float32;
  }
  built_ = true;
}

namespace {
LayerRegistrar inputRegistrar{{"InputLayer", make<InputLayer>}};
}

// ---- construction -----------------------------------------------------------------------

Model::Model(const std::string& className, const Json& config, const std::string& context)
    : Layer(config.is_object() ? config : Json::object(), className) {
  if (className == "Sequential") {
    sequential_ = true;
    buildSequential(config, context);
  } else {
    buildFunctional(config, context);
  }
  inferShapes(context);
  built_ = true;
}

int Model::layerIndex(const std::string& name, const std::string& context) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i]->name() == name) return static_cast<int>(i);
  throw Error(context + ": model '" + name_ + "' refers to unknown layer '" + name + "'");
}

Layer* Model::findLayer(const std::string& name) const {
  for (const auto& l : layers)
    if (l->name() == name) return l.get();
  return nullptr;
}

void Model::buildSequential(const Json& config, const std::string& context) {
  const Json* list = nullptr;
  if (config.is_array()) list = &config;
  else if (config.contains("layers") && config["layers"].is_array()) list = &config["layers"];
  if (!list) throw Error(jsonPath(context, "Sequential config has no 'layers' list"));
  if (list->empty()) throw Error(jsonPath(context, "Sequential model '" + name_ + "' has no layers"));
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string())
      throw Error(jsonPath(context, "layers[" + std::to_string(i) + "] has no class_name"));
    const Json& lc = entry.contains("config") ? entry["config"] : Json::object();
    std::string cls = entry["class_name"].get<std::string>();
    if (i == 0 && cls != "InputLayer") {
      auto shape = declaredInputShape(lc);
      if (!shape && isModelClass(cls)) {
        // A nested model as first layer: its own inputs give the shape.
        auto inner = makeLayer(cls, lc, context);
        shape = static_cast<Model*>(inner.get())->inputShapes()[0];
      }
      if (!shape)
        throw Error(jsonPath(context, "the first layer of Sequential model '" + name_ +
                                          "' declares no input shape (batch_input_shape)"));
      Json ic{{"batch_input_shape", Json::array()}, {"name", name_ + "_input"}};
      for (int64_t d : *shape) ic["batch_input_shape"].push_back(d < 0 ? Json(nullptr) : Json(d));
      if (lc.contains("dtype")) ic["dtype"] = lc["dtype"];
      layers.push_back(std::make_unique<InputLayer>(ic));
      nodes.push_back(Node{0, 0, {}, Json::object(), {}});
    }
    layers.push_back(makeLayer(cls, lc, context));
    int li = static_cast<int>(layers.size()) - 1;
    if (cls == "InputLayer") {
      if (li != 0) throw Error(jsonPath(context, "InputLayer must be the first layer of a Sequential model"));
      nodes.push_back(Node{0, 0, {}, Json::object(), {}});
      continue;
    }
    nodes.push_back(Node{li, 0, {TensorRef{li - 1, 0, 0}}, Json::object(), {}});
  }
  inputs = {TensorRef{0, 0, 0}};
  outputs = {TensorRef{static_cast<int>(layers.size()) - 1, 0, 0}};
}

void Model::buildFunctional(const Json& config, const std::string& context) {
  if (!config.contains("layers") || !config["layers"].is_array())
    throw Error(jsonPath(context, "model config of '" + name_ + "' has no 'layers' list"));
  const Json& list = config["layers"];
  struct Pending {
    int layer;
    int index;
    std::vector<std::tuple<std::string, int, int>> refs;
    Json kwargs;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    std::string where = "config.layers[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("class_name") || !e["class_name"].is_string())
      throw Error(jsonPath(context, where + " has no class_name"));
    Json lc = e.contains("config") ? e["config"] : Json::object();
    if (e.contains("name") && e["name"].is_string() && lc.is_object() && !lc.contains("name")) lc["name"] = e["name"];
    layers.push_back(makeLayer(e["class_name"].get<std::string>(), lc, context));
    int li = static_cast<int>(layers.size()) - 1;
    if (e.contains("name") && e["name"].is_string() && e["name"].get<std::string>() != layers.back()->name())
      throw Error(jsonPath(context, where + ": name '" + e["name"].get<std::string>() + "' differs from config.name '" +
                                        layers.back()->name() + "'"));
    if (dynamic_cast<InputLayer*>(layers.back().get())) {
      nodes.push_back(Node{li, 0, {}, Json::object(), {}});
      continue;
    }
    const Json inbound = e.contains("inbound_nodes") ? e["inbound_nodes"] : Json::array();
    // A nested model's own graph is its node 0, so its calls in this model are numbered from 1
    // (Keras and TF.js both number them this way in saved configs).
    const int firstIndex = isModelClass(e["class_name"].get<std::string>()) ? 1 : 0;
    if (!inbound.is_array()) throw Error(jsonPath(context, where + ".inbound_nodes must be a list"));
    for (size_t n = 0; n < inbound.size(); ++n) {
      const Json& node = inbound[n];
      Pending p{li, static_cast<int>(n) + firstIndex, {}, Json::object()};
      std::string nwhere = where + ".inbound_nodes[" + std::to_string(n) + "]";
      std::vector<Json> history;
      if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
        if (node.contains("args")) collectHistory(node["args"], history);
        if (node.contains("kwargs") && node["kwargs"].is_object()) {
          for (const auto& [k, v] : node["kwargs"].items())
            if (!(v.is_object() && v.contains("class_name") && v["class_name"] == "__keras_tensor__")) p.kwargs[k] = v;
        }
      } else if (node.is_array()) {  // Keras 2: [[name, node, tensor, kwargs], ...]
        for (const auto& ref : node) {
          history.push_back(ref);
          if (ref.is_array() && ref.size() > 3 && ref[3].is_object() && p.kwargs.empty()) p.kwargs = ref[3];
        }
      } else {
        throw Error(jsonPath(context, nwhere + " must be a list or an object"));
      }
      for (const auto& h : history) {
        if (!h.is_array() || h.size() < 3 || !h[0].is_string() || !h[1].is_number_integer() || !h[2].is_number_integer())
          throw Error(jsonPath(context, nwhere + ": malformed tensor reference " + h.dump()));
        p.refs.emplace_back(h[0].get<std::string>(), h[1].get<int>(), h[2].get<int>());
      }
      if (p.refs.empty()) throw Error(jsonPath(context, nwhere + " has no input tensors"));
      pending.push_back(std::move(p));
    }
  }
  // Place nodes whose inputs exist, until none are left (configs are usually already ordered).
  std::set<std::pair<int, int>> placed;
  for (const Node& n : nodes) placed.insert({n.layer, n.index});
  while (!pending.empty()) {
    bool progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      bool ready = true;
      std::vector<TensorRef> refs;
      for (auto& [name, node, tensor] : it->refs) {
        int li = layerIndex(name, context);
        if (!placed.count({li, node})) ready = false;
        refs.push_back(TensorRef{li, node, tensor});
      }
      if (!ready) {
        ++it;
        continue;
      }
      nodes.push_back(Node{it->layer, it->index, refs, it->kwargs, {}});
      placed.insert({it->layer, it->index});
      it = pending.erase(it);
      progress = true;
    }
    if (!progress) {
      const auto& [name, node, tensor] = pending.front().refs.front();
      throw Error(jsonPath(context, "layer '" + layers[pending.front().layer]->name() + "' refers to node " +
                                        std::to_string(node) + " of layer '" + name +
                                        "', which does not exist (or the graph has a cycle)"));
    }
  }
  auto parseRefs = [&](const char* key) {
    std::vector<TensorRef> refs;
    if (!config.contains(key)) throw Error(jsonPath(context, "model config has no '" + std::string(key) + "'"));
    Json v = config[key];
    if (v.is_array() && !v.empty() && v[0].is_string()) v = Json::array({v});  // Keras 3 single form
    if (!v.is_array()) throw Error(jsonPath(context, std::string(key) + " must be a list"));
    for (const auto& r : v) {
      if (!r.is_array() || r.size() < 3 || !r[0].is_string())
        throw Error(jsonPath(context, std::string(key) + " holds a malformed reference " + r.dump()));
      int li = layerIndex(r[0].get<std::string>(), context);
      if (!placed.count({li, r[1].get<int>()}))
        throw Error(jsonPath(context, std::string(key) + " refers to a missing node " + r.dump()));
      refs.push_back(TensorRef{li, r[1].get<int>(), r[2].get<int>()});
    }
    return refs;
  };
  inputs = parseRefs("input_layers");
  outputs = parseRefs("output_layers");
  for (const TensorRef& r : inputs)
    if (!dynamic_cast<InputLayer*>(layers[r.layer].get()))
      throw Error(jsonPath(context, "input_layers names '" + layers[r.layer]->name() + "', which is not an InputLayer"));
}

SymShape Model::shapeOf(const TensorRef& r) const {
  for (const Node& n : nodes)
    if (n.layer == r.layer && n.index == r.node) {
      if (r.tensor < 0 || r.tensor >= static_cast<int>(n.outputShapes.size()))
        throw Error("model '" + name_ + "': layer '" + layers[r.layer]->name() + "' has no output " +
                    std::to_string(r.tensor));
      return n.outputShapes[r.tensor];
    }
  throw Error("model '" + name_ + "': no node " + std::to_string(r.node) + " of layer '" + layers[r.layer]->name() + "'");
}

void Model::inferShapes(const std::string& context) {
  for (Node& n : nodes) {
    Layer& l = *layers[n.layer];
    std::vector<SymShape> in;
    for (const TensorRef& r : n.inputs) in.push_back(shapeOf(r));
    try {
      l.ensureBuilt(in);
      n.outputShapes = l.outputShapes(in);
    } catch (const Error& e) {
      std::string m = e.what();
      throw Error(m.rfind(context, 0) == 0 ? m : context + ": " + m);
    }
  }
}

// ---- running ----------------------------------------------------------------------------

std::vector<Tensor> Model::call(const std::vector<Tensor>& in, const CallArgs& args) {
  if (in.size() != inputs.size())
    throw Error("model '" + name_ + "' expects " + std::to_string(inputs.size()) + " input(s), got " +
                std::to_string(in.size()));
  std::map<TensorRef, Tensor> values, masks;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto* il = static_cast<InputLayer*>(layers[inputs[i].layer].get());
    Tensor x = in[i];
    if (il->dtype != x.dtype()) x = cast(x, il->dtype);
    values[inputs[i]] = x;
    if (i < args.masks.size() && args.masks[i].defined()) masks[inputs[i]] = args.masks[i];
  }
  const bool fused = !args.training && fuseForInference;
  if (fused && !plan_) plan_ = std::make_shared<InferencePlan>(planInference(*this));
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& n = nodes[k];
    Layer& l = *layers[n.layer];
    if (dynamic_cast<InputLayer*>(&l)) continue;
    if (fused) {
      if (auto f = plan_->fusedAt.find(static_cast<int>(k)); f != plan_->fusedAt.end()) {
        FusedConv& fc = plan_->fused[f->second];
        const TensorRef& src = nodes[fc.convNode].inputs[0];
        values[TensorRef{n.layer, n.index, 0}] = runFused(*this, fc, values.at(src));
        continue;
      }
      if (plan_->skip[k]) continue;
    }
    std::vector<Tensor> ins, inMasks;
    bool anyMask = false;
    for (const TensorRef& r : n.inputs) {
      auto v = values.find(r);
      if (v == values.end())
        throw Error("model '" + name_ + "': input of layer '" + l.name() + "' from '" + layers[r.layer]->name() +
                    "' was not computed (is a model input missing?)");
      ins.push_back(v->second);
      auto m = masks.find(r);
      inMasks.push_back(m == masks.end() ? Tensor() : m->second);
      anyMask |= m != masks.end();
    }
    CallArgs a;
    a.training = args.training;
    if (anyMask) a.masks = inMasks;
    a.kwargs = n.kwargs;
    std::vector<Tensor> outs = l.call(ins, a);
    Tensor mask = anyMask || l.className() == "Masking" || l.className() == "Embedding"
                      ? l.computeMask(ins, inMasks)
                      : Tensor();
    for (size_t t = 0; t < outs.size(); ++t) {
      TensorRef r{n.layer, n.index, static_cast<int>(t)};
      values[r] = outs[t];
      if (mask.defined()) masks[r] = mask;
    }
  }
  std::vector<Tensor> result;
  for (const TensorRef& r : outputs) result.push_back(values.at(r));
  return result;
}

std::vector<Tensor> Model::predictBatch(const std::vector<Tensor>& in, bool training) {
  auto names = inputNames();
  auto shapes = inputShapes();
  if (in.size() != inputs.size())
    throw Error("model '" + name_ + "' expects " + std::to_string(inputs.size()) + " input(s), got " +
                std::to_string(in.size()));
  for (size_t i = 0; i < in.size(); ++i) {
    const Shape& s = in[i].shape();
    bool ok = s.size() == shapes[i].size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = shapes[i][d] < 0 || shapes[i][d] == s[d];
    if (!ok) {
      std::string want = "[";
      for (size_t d = 0; d < shapes[i].size(); ++d)
        want += (d ? "," : "") + (shapes[i][d] < 0 ? std::string("null") : std::to_string(shapes[i][d]));
      throw Error("model '" + name_ + "': input " + std::to_string(i) + " ('" + names[i] + "') expects shape " +
                  want + "], got " + shapeString(s));
    }
  }
  CallArgs args;
  args.training = training;
  return call(in, args);
}

std::vector<SymShape> Model::outputShapes(const std::vector<SymShape>&) const { return outputShapesOfModel(); }

std::vector<std::string> Model::inputNames() const {
  std::vector<std::string> v;
  for (const TensorRef& r : inputs) v.push_back(layers[r.layer]->name());
  return v;
}

std::vector<SymShape> Model::inputShapes() const {
  std::vector<SymShape> v;
  for (const TensorRef& r : inputs) v.push_back(static_cast<InputLayer*>(layers[r.layer].get())->batchShape);
  return v;
}

std::vector<SymShape> Model::outputShapesOfModel() const {
  std::vector<SymShape> v;
  for (const TensorRef& r : outputs) v.push_back(shapeOf(r));
  return v;
}

std::vector<Weight*> Model::allWeights() {
  std::vector<Weight*> out;
  for (auto& l : layers)
    for (Weight* w : l->allWeights()) out.push_back(w);
  return out;
}

// ---- config -----------------------------------------------------------------------------

Json Model::toConfig() const {
  auto entryFor = [](const Layer& l) {
    Json e{{"class_name", l.className()}};
    if (auto* m = dynamic_cast<const Model*>(&l)) e["config"] = m->toConfig();
    else e["config"] = l.config();
    e["config"]["name"] = l.name();
    return e;
  };
  Json cfg{{"name", name_}, {"layers", Json::array()}};
  if (sequential_) {
    const auto* in = static_cast<const InputLayer*>(layers[0].get());
    for (size_t i = 1; i < layers.size(); ++i) {
      Json e = entryFor(*layers[i]);
      if (i == 1 && !e["config"].contains("batch_input_shape")) {
        Json s = Json::array();
        for (int64_t d : in->batchShape) s.push_back(d < 0 ? Json(nullptr) : Json(d));
        e["config"]["batch_input_shape"] = s;
      }
      cfg["layers"].push_back(e);
    }
    return cfg;
  }
  for (size_t li = 0; li < layers.size(); ++li) {
    Json e = entryFor(*layers[li]);
    e["name"] = layers[li]->name();
    Json inbound = Json::array();
    std::vector<const Node*> calls;
    for (const Node& n : nodes)
      if (n.layer == static_cast<int>(li) && !n.inputs.empty()) calls.push_back(&n);
    std::sort(calls.begin(), calls.end(), [](const Node* a, const Node* b) { return a->index < b->index; });
    for (const Node* n : calls) {
      Json refs = Json::array();
      for (const TensorRef& r : n->inputs)
        refs.push_back(Json::array({layers[r.layer]->name(), r.node, r.tensor, n->kwargs}));
      inbound.push_back(refs);
    }
    e["inbound_nodes"] = inbound;
    cfg["layers"].push_back(e);
  }
  auto refs = [&](const std::vector<TensorRef>& rs) {
    Json a = Json::array();
    for (const TensorRef& r : rs) a.push_back(Json::array({layers[r.layer]->name(), r.node, r.tensor}));
    return a;
  };
  cfg["input_layers"] = refs(inputs);
  cfg["output_layers"] = refs(outputs);
  return cfg;
}

}  // namespace strata::layers
