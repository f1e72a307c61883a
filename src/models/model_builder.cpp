// Building models from the C++ builder API (strata/layers_api.h): st::sequential() and
// LayersModel::add(), st::input() and st::model(). Layers are made from their Keras configs by
// the loading code (layers::createLayer, layers::Model), and weights are then initialized from
// their initializer configs (layers::initializeWeights), as TF.js does when it builds a layer.
#include <algorithm>
#include <map>
#include <set>

#include "layers/builders.h"
#include "models/model.h"
#include "models/weight_policies.h"
#include "strata/error.h"
#include "strata/layers_api.h"
#include "strata/models.h"

namespace strata {

using layers::Json;
using layers::detail::GraphNode;
using layers::detail::LayerState;

namespace {

// Initializes the weights of m.layers[index] only: earlier layers keep theirs. initializeWeights
// works on a model, so the layer is lent to a scratch model holding just it.
void initializeLayer(layers::Model& m, size_t index) {
  auto scratch = layers::Model::emptySequential("strata_builder_init");
  scratch->layers.push_back(std::move(m.layers[index]));
  struct GiveBack {
    layers::Model& m;
    layers::Model& scratch;
    size_t index;
    ~GiveBack() { m.layers[index] = std::move(scratch.layers.back()); }
  } giveBack{m, *scratch, index};
  layers::initializeWeights(*scratch);
}

}  // namespace

// ---- Sequential ----------------------------------------------------------------------------

LayersModel sequential(const SequentialArgs& args) {
  LayersModel model(layers::Model::emptySequential(args.name));
  for (const layers::LayerSpec& spec : args.layers) model.add(spec);
  return model;
}

void LayersModel::add(const layers::LayerSpec& spec) const {
  layers::Model& m = impl();
  const std::string ctx = "add() to model '" + m.name() + "'";
  if (!spec.defined()) throw Error(ctx + ": the LayerSpec is empty (make it with a builder such as st::layers::dense)");
  if (!m.isSequential())
    throw Error(ctx + ": only Sequential models grow with add(); build functional models with st::model()");
  if (m.training) throw Error(ctx + ": the model is compiled; add layers before compile()");
  if (m.findLayer(spec.name()))
    throw Error(ctx + ": the model already has a layer named '" + spec.name() + "' (layer names must be unique)");
  m.appendSequential(layers::createLayer(spec.className(), spec.config(), ctx), ctx);
  initializeLayer(m, m.layers.size() - 1);
}

// ---- functional ----------------------------------------------------------------------------

layers::KerasTensor input(const InputArgs& a) {
  const std::string ctx = "st::input(" + (a.name.empty() ? std::string() : "'" + a.name + "'") + ")";
  if (a.shape.given() == a.batchShape.given())
    throw Error(ctx + ": give either shape (without the batch axis) or batchShape (with it), not " +
                (a.shape.given() ? "both" : "neither"));
  Shape batch = a.batchShape.given() ? *a.batchShape.value : Shape{-1};
  if (a.shape.given()) batch.insert(batch.end(), a.shape.value->begin(), a.shape.value->end());
  Json config{{"batch_input_shape", layers::detail::shapeJson(batch)},
              {"dtype", std::string(dtypeName(a.dtype))},
              {"sparse", a.sparse}};
  if (!a.name.empty()) config["name"] = a.name;
  layers::LayerSpec spec("InputLayer", config, ctx);
  auto node = std::make_shared<GraphNode>();
  node->layer = spec.state();
  node->index = spec.state()->calls++;
  node->outputShapes = {batch};
  node->outputDtypes = {a.dtype};
  return layers::KerasTensor(node, 0);
}

Json functionalConfig(const ModelArgs& a) {
  const std::string ctx = "st::model(" + (a.name.empty() ? std::string() : "'" + a.name + "'") + ")";
  if (a.inputs.empty()) throw Error(ctx + ": inputs is empty");
  if (a.outputs.empty()) throw Error(ctx + ": outputs is empty");
  std::set<const GraphNode*> inputNodes;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const layers::KerasTensor& t = a.inputs[i];
    if (!t.defined()) throw Error(ctx + ": inputs[" + std::to_string(i) + "] is an empty KerasTensor");
    if (t.node()->layer->className != "InputLayer")
      throw Error(ctx + ": inputs[" + std::to_string(i) + "] is '" + t.name() + "', an output of " +
                  t.node()->layer->probe->describe() + "; model inputs must come from st::input()");
    if (!inputNodes.insert(t.node().get()).second)
      throw Error(ctx + ": input '" + t.layerName() + "' is listed twice in inputs");
  }
  for (size_t i = 0; i < a.outputs.size(); ++i)
    if (!a.outputs[i].defined()) throw Error(ctx + ": outputs[" + std::to_string(i) + "] is an empty KerasTensor");

  // The nodes the outputs depend on, inputs before users (depth-first, post-order). Nodes only
  // refer to nodes made before them, so there are no cycles.
  std::vector<const GraphNode*> order;
  std::set<const GraphNode*> seen;
  std::vector<std::pair<const GraphNode*, size_t>> stack;
  for (const layers::KerasTensor& out : a.outputs) {
    stack.push_back({out.node().get(), 0});
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next == 0 && seen.count(n)) {
        stack.pop_back();
        continue;
      }
      if (n->layer->className == "InputLayer" && !inputNodes.count(n))
        throw Error(ctx + ": output '" + out.name() + "' depends on input '" + n->layer->name +
                    "', which is not in inputs (the graph is disconnected)");
      if (next < n->inputs.size()) {
        const GraphNode* child = n->inputs[next++].node().get();
        if (!seen.count(child)) stack.push_back({child, 0});
        continue;
      }
      seen.insert(n);
      order.push_back(n);
      stack.pop_back();
    }
  }

  // Layers: the model inputs first, then by first use. A layer's nodes are renumbered 0.. in the
  // order they were made, counting only the nodes of this model (as Keras does when saving).
  std::vector<LayerState*> layerOrder;
  std::map<LayerState*, std::vector<const GraphNode*>> nodesOf;
  auto note = [&](const GraphNode* n) {
    auto [it, isNew] = nodesOf.try_emplace(n->layer.get());
    if (isNew) layerOrder.push_back(n->layer.get());
    if (std::find(it->second.begin(), it->second.end(), n) == it->second.end()) it->second.push_back(n);
  };
  for (const layers::KerasTensor& t : a.inputs) note(t.node().get());
  for (const GraphNode* n : order) note(n);
  std::map<const GraphNode*, int> newIndex;
  std::map<std::string, const LayerState*> byName;
  for (LayerState* l : layerOrder) {
    auto& ns = nodesOf[l];
    std::sort(ns.begin(), ns.end(), [](const GraphNode* x, const GraphNode* y) { return x->index < y->index; });
    for (size_t k = 0; k < ns.size(); ++k) newIndex[ns[k]] = static_cast<int>(k);
    auto [it, fresh] = byName.emplace(l->name, l);
    if (!fresh)
      throw Error(ctx + ": two different layers are named '" + l->name + "' (" + it->second->className + " and " +
                  l->className + "); layer names must be unique in a model");
  }

  auto ref = [&](const layers::KerasTensor& t, bool withKwargs) {
    Json r = Json::array({t.layerName(), newIndex.at(t.node().get()), t.outputIndex()});
    if (withKwargs) r.push_back(Json::object());
    return r;
  };
  Json config{{"layers", Json::array()}, {"input_layers", Json::array()}, {"output_layers", Json::array()}};
  if (!a.name.empty()) config["name"] = a.name;
  for (LayerState* l : layerOrder) {
    Json inbound = Json::array();
    if (l->className != "InputLayer")
      for (const GraphNode* n : nodesOf[l]) {
        Json refs = Json::array();
        for (const layers::KerasTensor& t : n->inputs) refs.push_back(ref(t, true));
        inbound.push_back(refs);
      }
    config["layers"].push_back(
        Json{{"name", l->name}, {"class_name", l->className}, {"config", l->config}, {"inbound_nodes", inbound}});
  }
  for (const layers::KerasTensor& t : a.inputs) config["input_layers"].push_back(ref(t, false));
  for (const layers::KerasTensor& t : a.outputs) config["output_layers"].push_back(ref(t, false));
  return Json{{"class_name", "Model"}, {"config", config}};
}

LayersModel model(const ModelArgs& a) {
  const std::string ctx = "st::model(" + (a.name.empty() ? std::string() : "'" + a.name + "'") + ")";
  Json full = functionalConfig(a);
  auto m = std::make_shared<layers::Model>(full["class_name"].get<std::string>(), full["config"], ctx);
  layers::initializeWeights(*m);
  return LayersModel(m);
}

}  // namespace strata
