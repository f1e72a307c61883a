#include "strata/layer.h"

#include <map>

#include "strata/engine.h"
#include "strata/error.h"

namespace strata::layers {

// ---- config -----------------------------------------------------------------------------

std::string Config::where(const char* key) const {
  return "layer '" + layer_ + "' (" + cls_ + "): config." + key;
}

const Json& Config::raw(const char* key) const {
  if (!json_.contains(key)) throw Error(where(key) + " is missing");
  return json_[key];
}

int Config::getInt(const char* key) const {
  const Json& v = raw(key);
  if (!v.is_number_integer() && !(v.is_number() && v.get<double>() == static_cast<int>(v.get<double>())))
    throw Error(where(key) + " must be an integer, got " + v.dump());
  return v.get<int>();
}

float Config::getFloat(const char* key) const {
  const Json& v = raw(key);
  if (!v.is_number()) throw Error(where(key) + " must be a number, got " + v.dump());
  return v.get<float>();
}

bool Config::getBool(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  const Json& v = json_[key];
  if (!v.is_boolean()) throw Error(where(key) + " must be true or false, got " + v.dump());
  return v.get<bool>();
}

std::string Config::getString(const char* key) const {
  const Json& v = raw(key);
  if (!v.is_string()) throw Error(where(key) + " must be a string, got " + v.dump());
  return v.get<std::string>();
}

std::vector<int> Config::getInts(const char* key, size_t n) const {
  const Json& v = raw(key);
  if (v.is_number_integer()) return std::vector<int>(n, v.get<int>());
  if (!v.is_array()) throw Error(where(key) + " must be an integer or a list of " + std::to_string(n) + ", got " + v.dump());
  std::vector<int> out;
  for (const auto& e : v) {
    if (!e.is_number_integer()) throw Error(where(key) + " must hold integers, got " + v.dump());
    out.push_back(e.get<int>());
  }
  if (out.size() == 1 && n > 1) out.assign(n, out[0]);
  if (out.size() != n) throw Error(where(key) + " must have " + std::to_string(n) + " entries, got " + v.dump());
  return out;
}

SymShape Config::getShape(const char* key) const {
  const Json& v = raw(key);
  if (!v.is_array()) throw Error(where(key) + " must be a list, got " + v.dump());
  SymShape s;
  for (const auto& e : v) {
    if (e.is_null()) s.push_back(-1);
    else if (e.is_number_integer() && e.get<int64_t>() >= 0) s.push_back(e.get<int64_t>());
    else throw Error(where(key) + " must hold non-negative integers or null, got " + v.dump());
  }
  return s;
}

// ---- layer ------------------------------------------------------------------------------

namespace {
std::map<std::string, int>& nameCounters() {
  static std::map<std::string, int> m;
  return m;
}
// Keras default names: "dense", "dense_1", ... (snake case of the class).
std::string defaultName(const std::string& cls) {
  std::string base;
  for (size_t i = 0; i < cls.size(); ++i) {
    char c = cls[i];
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 && !std::isupper(static_cast<unsigned char>(cls[i - 1])))
      base += '_';
    base += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  int n = nameCounters()[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}
}  // namespace

Layer::Layer(const Json& config, std::string className)
    : className_(std::move(className)), config_(config.is_object() ? config : Json::object()) {
  if (config_.contains("name") && config_["name"].is_string()) name_ = config_["name"].get<std::string>();
  else name_ = defaultName(className_);
  config_["name"] = name_;
  if (config_.contains("trainable") && config_["trainable"].is_boolean()) trainable_ = config_["trainable"].get<bool>();
}

Layer::~Layer() {
  for (auto& w : weights_) w.value.dispose();
}

std::string Layer::describe() const { return "layer '" + name_ + "' (" + className_ + ")"; }

Tensor Layer::computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const {
  if (!supportsMasking() || masks.empty()) return Tensor();
  return masks[0];
}

void Layer::ensureBuilt(const std::vector<SymShape>& inputShapes) {
  if (built_) return;
  build(inputShapes);
  built_ = true;
}

Variable& Layer::addWeight(const std::string& name, const Shape& shape, bool trainable) {
  for (int64_t d : shape)
    if (d < 0)
      throw Error(describe() + ": weight '" + name + "' needs a known shape, got " + shapeString(shape) +
                  " (is an input dimension unknown?)");
  if (shapeSize(shape) > (int64_t{1} << 31))
    throw Error(describe() + ": weight '" + name + "' of shape " + shapeString(shape) + " is too large");
  Variable v = variable(zeros(shape), trainable, "");
  weights_.push_back(Weight{name, v, trainable});
  return weights_.back().value;
}

std::vector<Weight*> Layer::allWeights() {
  std::vector<Weight*> out;
  for (auto& w : weights_) out.push_back(&w);
  return out;
}

int64_t Layer::countParams() {
  int64_t n = 0;
  for (Weight* w : allWeights()) n += w->value.size();
  return n;
}

void expectInputs(const Layer& layer, const std::vector<Tensor>& inputs, size_t n) {
  if (inputs.size() != n)
    throw Error(layer.describe() + " expects " + std::to_string(n) + " input(s), got " + std::to_string(inputs.size()));
}

// ---- registry ---------------------------------------------------------------------------

namespace {
std::map<std::string, LayerFactory>& registry() {
  static std::map<std::string, LayerFactory> r;
  return r;
}
}  // namespace

void registerLayer(const std::string& className, LayerFactory factory) { registry()[className] = std::move(factory); }

std::unique_ptr<Layer> createLayer(const std::string& className, const Json& config, const std::string& context) {
  auto it = registry().find(className);
  if (it == registry().end()) {
    throw Error(context + ": unknown layer class '" + className + "'" +
                (config.contains("name") ? " (layer '" + config["name"].dump() + "')" : std::string()));
  }
  return it->second(config);
}

std::vector<std::string> registeredLayerClasses() {
  std::vector<std::string> v;
  for (auto& [k, f] : registry()) v.push_back(k);
  return v;
}

}  // namespace strata::layers
