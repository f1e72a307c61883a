// LayersModel: the public handle to a model (predict, summary, weights).
#include <algorithm>
#include <functional>
#include <sstream>

#include "models/model.h"
#include "models/predict_graph.h"
#include "strata/engine.h"
#include "strata/models.h"

namespace strata {

LayersModel::LayersModel(std::shared_ptr<layers::Model> model) : model_(std::move(model)) {}

layers::Model& LayersModel::impl() const {
  if (!model_) throw Error("LayersModel: empty model handle");
  return *model_;
}

const std::string& LayersModel::name() const { return impl().name(); }

Tensor LayersModel::predict(const Tensor& x, const PredictOptions& options) const {
  if (impl().inputs.size() != 1)
    throw Error("predict: model '" + name() + "' has " + std::to_string(impl().inputs.size()) +
                " inputs; pass a vector of tensors");
  auto outs = predict(std::vector<Tensor>{x}, options);
  if (outs.size() != 1)
    throw Error("predict: model '" + name() + "' has " + std::to_string(outs.size()) +
                " outputs; use the vector form of predict");
  return outs[0];
}

std::vector<Tensor> LayersModel::predict(const std::vector<Tensor>& xs, const PredictOptions& options) const {
  layers::Model& m = impl();
  if (xs.size() != m.inputs.size())
    throw Error("predict: model '" + name() + "' expects " + std::to_string(m.inputs.size()) + " input(s), got " +
                std::to_string(xs.size()));
  if (options.batchSize <= 0) throw Error("predict: batchSize must be positive, got " + std::to_string(options.batchSize));
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined() || xs[i].isDisposed())
      throw Error("predict: input " + std::to_string(i) + " of model '" + name() + "' is empty or disposed");
    if (xs[i].rank() == 0 || xs[i].shape()[0] != xs[0].shape()[0])
      throw Error("predict: all inputs need the same batch size; input 0 has shape " + shapeString(xs[0].shape()) +
                  ", input " + std::to_string(i) + " has " + shapeString(xs[i].shape()));
  }
  const int64_t n = xs[0].shape()[0];
  m.fuseForInference = options.fuseOps;
  if (n <= options.batchSize)
    return tidy([&] { return options.useGraphs ? m.predictGraphs().predict(m, xs) : m.predictBatch(xs); });
  return tidy([&] {
    std::vector<std::vector<Tensor>> parts(m.outputs.size());
    for (int64_t start = 0; start < n; start += options.batchSize) {
      int64_t len = std::min<int64_t>(options.batchSize, n - start);
      std::vector<Tensor> batch;
      for (const Tensor& x : xs) {
        std::vector<int64_t> begin(x.rank(), 0), size(x.shape().begin(), x.shape().end());
        begin[0] = start;
        size[0] = len;
        batch.push_back(slice(x, begin, size));
      }
      auto outs = m.predictBatch(batch);
      for (size_t o = 0; o < outs.size(); ++o) parts[o].push_back(outs[o]);
    }
    std::vector<Tensor> result;
    for (auto& p : parts) result.push_back(concat(p, 0));
    return result;
  });
}

std::vector<SymbolicTensor> LayersModel::inputs() const {
  layers::Model& m = impl();
  std::vector<SymbolicTensor> v;
  auto names = m.inputNames();
  auto shapes = m.inputShapes();
  for (size_t i = 0; i < names.size(); ++i)
    v.push_back({names[i], shapes[i], static_cast<layers::InputLayer*>(m.layers[m.inputs[i].layer].get())->dtype});
  return v;
}

std::vector<SymbolicTensor> LayersModel::outputs() const {
  layers::Model& m = impl();
  std::vector<SymbolicTensor> v;
  auto shapes = m.outputShapesOfModel();
  for (size_t i = 0; i < shapes.size(); ++i) v.push_back({m.layers[m.outputs[i].layer]->name(), shapes[i], DType::float32});
  return v;
}

layers::Layer& LayersModel::getLayer(const std::string& layerName) const {
  layers::Model& m = impl();
  if (auto* l = m.findLayer(layerName)) return *l;
  std::string names;
  for (auto& l : m.layers) names += (names.empty() ? "" : ", ") + l->name();
  throw Error("getLayer: model '" + name() + "' has no layer '" + layerName + "' (layers: " + names + ")");
}

const std::vector<std::unique_ptr<layers::Layer>>& LayersModel::layers() const { return impl().layers; }

namespace {
// Weights in TF.js order: trainable ones first, then the rest. A weight is trainable only if it
// and every layer enclosing it are (a frozen layer's weights move to the non-trainable part).
std::vector<layers::Weight*> orderedWeights(layers::Model& model) {
  std::vector<layers::Weight*> trainable, rest;
  std::function<void(layers::Layer&, bool)> visit = [&](layers::Layer& l, bool parentTrainable) {
    const bool t = parentTrainable && l.trainable();
    if (auto* m = dynamic_cast<layers::Model*>(&l)) {
      for (auto& inner : m->layers) visit(*inner, t);
      return;
    }
    for (layers::Weight* w : l.allWeights()) (t && w->trainable ? trainable : rest).push_back(w);
  };
  for (auto& l : model.layers) visit(*l, model.trainable());
  trainable.insert(trainable.end(), rest.begin(), rest.end());
  return trainable;
}
}  // namespace

std::vector<Tensor> LayersModel::getWeights() const {
  std::vector<Tensor> out;
  for (layers::Weight* w : orderedWeights(impl())) out.push_back(w->value.clone());
  return out;
}

void LayersModel::setWeights(const std::vector<Tensor>& weights) const {
  std::vector<layers::Weight*> ordered = orderedWeights(impl());
  if (weights.size() != ordered.size())
    throw Error("setWeights: model '" + name() + "' has " + std::to_string(ordered.size()) + " weights, got " +
                std::to_string(weights.size()));
  for (size_t i = 0; i < weights.size(); ++i)
    if (weights[i].shape() != ordered[i]->value.shape())
      throw Error("setWeights: weight " + std::to_string(i) + " ('" + ordered[i]->name + "') has shape " +
                  shapeString(ordered[i]->value.shape()) + ", got " + shapeString(weights[i].shape()));
  for (size_t i = 0; i < weights.size(); ++i) ordered[i]->value.assign(weights[i]);
}

int64_t LayersModel::countParams() const { return impl().countParams(); }

std::string LayersModel::summary(int lineLength) const {
  layers::Model& m = impl();
  auto shapeText = [](const std::vector<layers::SymShape>& shapes) {
    std::string s;
    for (size_t k = 0; k < shapes.size(); ++k) {
      s += k ? ", [" : "[";
      for (size_t d = 0; d < shapes[k].size(); ++d)
        s += (d ? "," : "") + (shapes[k][d] < 0 ? std::string("null") : std::to_string(shapes[k][d]));
      s += "]";
    }
    return s;
  };
  const int c1 = lineLength * 33 / 98, c2 = lineLength * 26 / 98, c3 = lineLength * 12 / 98;
  auto pad = [](std::string s, int w) {
    if (static_cast<int>(s.size()) >= w) return s.substr(0, w - 1) + " ";
    return s + std::string(w - s.size(), ' ');
  };
  std::ostringstream os;
  std::string rule(lineLength, '_'), dbl(lineLength, '=');
  os << "Model: \"" << m.name() << "\"\n" << rule << "\n";
  os << pad("Layer (type)", c1) << pad("Output shape", c2) << pad("Param #", c3) << "Connected to\n" << dbl << "\n";
  int64_t trainable = 0, total = 0;
  for (size_t li = 0; li < m.layers.size(); ++li) {
    auto& l = *m.layers[li];
    std::vector<layers::SymShape> shapes;
    std::string connected;
    for (const auto& n : m.nodes)
      if (n.layer == static_cast<int>(li)) {
        if (shapes.empty()) shapes = n.outputShapes;
        for (const auto& r : n.inputs)
          connected += (connected.empty() ? "" : ", ") + m.layers[r.layer]->name() + "[" + std::to_string(r.node) + "][" +
                       std::to_string(r.tensor) + "]";
      }
    int64_t params = l.countParams();
    total += params;
    for (layers::Weight* w : l.allWeights())
      if (w->trainable) trainable += w->value.size();
    os << pad(l.name() + " (" + l.className() + ")", c1) << pad(shapeText(shapes), c2) << pad(std::to_string(params), c3)
       << (m.isSequential() ? "" : connected) << "\n";
    os << (li + 1 < m.layers.size() ? rule : dbl) << "\n";
  }
  os << "Total params: " << total << "\nTrainable params: " << trainable
     << "\nNon-trainable params: " << (total - trainable) << "\n" << rule << "\n";
  return os.str();
}

}  // namespace strata
