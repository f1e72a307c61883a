// The builder API's core (strata/layers_api.h): LayerSpec and KerasTensor, the symbolic graph
// apply() records, and the Keras JSON of initializers, regularizers and constraints as TF.js
// serializes them (tfjs-layers initializers.ts, regularizers.ts, constraints.ts).
#include "layers/builders.h"

#include <algorithm>
#include <cctype>

#include "strata/error.h"

namespace strata {

namespace layers::detail {

// Keras's to_snake_case: an underscore before a capital that follows a lowercase letter or
// starts a capitalized word ("kernelSize" -> "kernel_size", "MaxPooling2D" -> "max_pooling2d",
// "LSTM" -> "lstm", "ReLU" -> "re_lu").
std::string toSnake(const std::string& s) {
  auto lower = [&](size_t i) { return i < s.size() && std::islower(static_cast<unsigned char>(s[i])); };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isupper(c)) {
      if (i > 0 && s[i - 1] != '_' && (lower(i - 1) || lower(i + 1))) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Json snakeKeys(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (const Json& e : j) out.push_back(snakeKeys(e));
    return out;
  }
  if (!j.is_object()) return j;
  Json out = Json::object();
  for (const auto& [k, v] : j.items()) out[toSnake(k)] = snakeKeys(v);
  return out;
}

Json shapeJson(const Shape& s) {
  Json a = Json::array();
  for (int64_t d : s) a.push_back(d < 0 ? Json(nullptr) : Json(d));
  return a;
}

Json intsJson(const Ints& v, size_t rank, const std::string& who, const char* field) {
  if (v.empty()) throw Error(who + ": " + field + " is required");
  if (v.values.size() == 1) return Json(std::vector<int>(rank, v.values[0]));
  if (v.values.size() != rank)
    throw Error(who + ": " + field + " must have 1 or " + std::to_string(rank) + " entries, got " +
                std::to_string(v.values.size()));
  return Json(v.values);
}

std::string who(const char* builder, const std::string& name) {
  return std::string("st::layers::") + builder + "(" + (name.empty() ? "" : "'" + name + "'") + ")";
}

void addCommonKeys(Json& config, const ShapeArg& inputShape, const ShapeArg& batchInputShape,
                   std::optional<int64_t> batchSize, std::optional<DType> dtype, const std::string& name,
                   bool trainable, const std::string& who) {
  if (!name.empty()) config["name"] = name;
  config["trainable"] = trainable;
  // TF.js Layer: batchInputShape wins; else [batchSize or null, ...inputShape]; dtype with either.
  std::optional<Shape> batch;
  if (batchInputShape.given()) {
    batch = *batchInputShape.value;
  } else if (inputShape.given()) {
    batch = Shape{batchSize ? *batchSize : -1};
    batch->insert(batch->end(), inputShape.value->begin(), inputShape.value->end());
  } else if (batchSize || dtype) {
    throw Error(who + ": batchSize and dtype describe an input shape; give inputShape or batchInputShape too");
  }
  if (batch) {
    config["batch_input_shape"] = shapeJson(*batch);
    config["dtype"] = std::string(dtypeName(dtype ? *dtype : DType::float32));
  }
}

// ---- initializers, regularizers, constraints ---------------------------------------------

namespace {

enum class Kind { initializer, regularizer, constraint };

// Known names, lower-cased without underscores (so "glorotUniform", "glorot_uniform" and
// "GlorotUniform" all match), and the Keras class and full default config TF.js writes for them.
struct Known {
  Kind kind;
  const char* key;
  const char* className;
  const char* defaults;  // JSON text
};
const Known kKnown[] = {
    {Kind::initializer, "zeros", "Zeros", "{}"},
    {Kind::initializer, "ones", "Ones", "{}"},
    {Kind::initializer, "constant", "Constant", R"({"value": 0})"},
    {Kind::initializer, "randomnormal", "RandomNormal", R"({"mean": 0, "stddev": 0.05, "seed": null})"},
    {Kind::initializer, "randomuniform", "RandomUniform", R"({"minval": -0.05, "maxval": 0.05, "seed": null})"},
    {Kind::initializer, "truncatednormal", "TruncatedNormal", R"({"mean": 0, "stddev": 0.05, "seed": null})"},
    {Kind::initializer, "variancescaling", "VarianceScaling",
     R"({"scale": 1, "mode": "fan_in", "distribution": "normal", "seed": null})"},
    {Kind::initializer, "glorotnormal", "VarianceScaling",
     R"({"scale": 1, "mode": "fan_avg", "distribution": "normal", "seed": null})"},
    {Kind::initializer, "glorotuniform", "VarianceScaling",
     R"({"scale": 1, "mode": "fan_avg", "distribution": "uniform", "seed": null})"},
    {Kind::initializer, "henormal", "VarianceScaling",
     R"({"scale": 2, "mode": "fan_in", "distribution": "normal", "seed": null})"},
    {Kind::initializer, "heuniform", "VarianceScaling",
     R"({"scale": 2, "mode": "fan_in", "distribution": "uniform", "seed": null})"},
    {Kind::initializer, "lecunnormal", "VarianceScaling",
     R"({"scale": 1, "mode": "fan_in", "distribution": "normal", "seed": null})"},
    {Kind::initializer, "lecununiform", "VarianceScaling",
     R"({"scale": 1, "mode": "fan_in", "distribution": "uniform", "seed": null})"},
    {Kind::initializer, "orthogonal", "Orthogonal", R"({"gain": 1, "seed": null})"},
    {Kind::initializer, "identity", "Identity", R"({"gain": 1})"},
    // TF.js writes every weight regularizer as L1L2 (it has no L1/L2 classes); its L1L2
    // constructor defaults both factors to 0.01.
    {Kind::regularizer, "l1l2", "L1L2", R"({"l1": 0.01, "l2": 0.01})"},
    {Kind::regularizer, "l1", "L1L2", R"({"l1": 0.01, "l2": 0})"},
    {Kind::regularizer, "l2", "L1L2", R"({"l1": 0, "l2": 0.01})"},
    {Kind::constraint, "maxnorm", "MaxNorm", R"({"max_value": 2, "axis": 0})"},
    {Kind::constraint, "minmaxnorm", "MinMaxNorm", R"({"min_value": 0, "max_value": 1, "rate": 1, "axis": 0})"},
    {Kind::constraint, "nonneg", "NonNeg", "{}"},
    {Kind::constraint, "unitnorm", "UnitNorm", R"({"axis": 0})"},
};

const char* kindName(Kind k) {
  return k == Kind::initializer ? "initializer" : k == Kind::regularizer ? "regularizer" : "constraint";
}

std::string normalized(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const Known* findKnown(Kind kind, const std::string& name) {
  const std::string key = normalized(name);
  for (const Known& k : kKnown)
    if (k.kind == kind && key == k.key) return &k;
  return nullptr;
}

std::string knownNames(Kind kind) {
  std::string s;
  for (const Known& k : kKnown)
    if (k.kind == kind) s += (s.empty() ? "" : ", ") + std::string(k.key);
  return s;
}

// {"class_name", "config"} for a name or a (possibly partial, possibly camelCase) JSON object;
// null stays null. Known classes get TF.js's defaults for the fields not given.
Json resolve(Kind kind, const Json& value, const std::string& who, const char* field) {
  if (value.is_null()) return nullptr;
  std::string what = who + ": " + field;
  if (value.is_string()) {
    const Known* k = findKnown(kind, value.get<std::string>());
    if (!k)
      throw Error(what + " '" + value.get<std::string>() + "' is not a known " + kindName(kind) +
                  " (known: " + knownNames(kind) + "; or give its JSON {\"class_name\": ..., \"config\": {...}})");
    return Json{{"class_name", k->className}, {"config", Json::parse(k->defaults)}};
  }
  if (!value.is_object())
    throw Error(what + " must be a name or a JSON object {\"class_name\": ..., \"config\": {...}}, got " +
                value.dump());
  Json j = snakeKeys(value);
  if (!j.contains("class_name") || !j["class_name"].is_string())
    throw Error(what + " needs a string \"class_name\", got " + value.dump());
  Json given = j.contains("config") ? j["config"] : Json::object();
  if (!given.is_object()) throw Error(what + ".config must be a JSON object, got " + given.dump());
  const Known* k = findKnown(kind, j["class_name"].get<std::string>());
  if (!k) return Json{{"class_name", j["class_name"]}, {"config", given}};  // a custom class: as given
  Json config = Json::parse(k->defaults);
  for (const auto& [key, v] : given.items()) config[key] = v;
  // TF.js writes these enumerations in snake_case ("fan_avg"), whatever the user wrote.
  for (const char* key : {"mode", "distribution"})
    if (config.contains(key) && config[key].is_string()) config[key] = toSnake(config[key].get<std::string>());
  return Json{{"class_name", k->className}, {"config", config}};
}

}  // namespace

Json initializerJson(const ConfigArg& arg, const char* fallback, const std::string& who, const char* field) {
  return resolve(Kind::initializer, arg.value.is_null() ? Json(fallback) : arg.value, who, field);
}

Json regularizerJson(const ConfigArg& arg, const std::string& who, const char* field) {
  return resolve(Kind::regularizer, arg.value, who, field);
}

Json constraintJson(const ConfigArg& arg, const std::string& who, const char* field) {
  return resolve(Kind::constraint, arg.value, who, field);
}

}  // namespace layers::detail

using layers::Json;
using layers::detail::resolve;

Json initializer(const std::string& name, const Json& params) {
  if (!params.is_object())
    throw Error("st::initializer('" + name + "'): params must be a JSON object, got " + params.dump());
  if (!layers::detail::findKnown(layers::detail::Kind::initializer, name))
    throw Error("st::initializer: '" + name + "' is not a known initializer (known: " +
                layers::detail::knownNames(layers::detail::Kind::initializer) + ")");
  return resolve(layers::detail::Kind::initializer, Json{{"class_name", name}, {"config", params}},
                 "st::initializer('" + name + "')", "params");
}

Json l1(double l1) { return Json{{"class_name", "L1L2"}, {"config", {{"l1", l1}, {"l2", 0}}}}; }
Json l2(double l2) { return Json{{"class_name", "L1L2"}, {"config", {{"l1", 0}, {"l2", l2}}}}; }
Json l1l2(double l1, double l2) { return Json{{"class_name", "L1L2"}, {"config", {{"l1", l1}, {"l2", l2}}}}; }

Json maxNorm(const MaxNormArgs& a) {
  return Json{{"class_name", "MaxNorm"}, {"config", {{"max_value", a.maxValue}, {"axis", a.axis}}}};
}
Json minMaxNorm(const MinMaxNormArgs& a) {
  return Json{{"class_name", "MinMaxNorm"},
              {"config", {{"min_value", a.minValue}, {"max_value", a.maxValue}, {"rate", a.rate}, {"axis", a.axis}}}};
}
Json nonNeg() { return Json{{"class_name", "NonNeg"}, {"config", Json::object()}}; }
Json unitNorm(const UnitNormArgs& a) { return Json{{"class_name", "UnitNorm"}, {"config", {{"axis", a.axis}}}}; }

Padding2D::Padding2D(std::initializer_list<int> rowsCols) {
  std::vector<int> v(rowsCols);
  if (v.size() == 1)
    values = {{v[0], v[0]}, {v[0], v[0]}};
  else if (v.size() == 2)
    values = {{v[0], v[0]}, {v[1], v[1]}};
  else
    values = {v};  // malformed: the builder reports it
}

Padding2D::Padding2D(std::initializer_list<std::initializer_list<int>> pairs) {
  for (const auto& p : pairs) values.emplace_back(p);
}

// ---- LayerSpec and KerasTensor -------------------------------------------------------------

namespace layers {

LayerSpec::LayerSpec(const std::string& className, Json config, const std::string& context) {
  const std::string ctx = context.empty() ? "st::layers::layer('" + className + "')" : context;
  if (!config.is_object()) throw Error(ctx + ": the config must be a JSON object, got " + config.dump());
  config = detail::snakeKeys(config);
  auto state = std::make_shared<detail::LayerState>();
  state->className = className;
  try {
    state->probe = createLayer(className, config, ctx);
  } catch (const Error& e) {
    const std::string m = e.what();
    throw Error(m.rfind(ctx, 0) == 0 ? m : ctx + ": " + m);
  }
  state->name = state->probe->name();
  config["name"] = state->name;
  state->config = std::move(config);
  state_ = std::move(state);
}

namespace {
const detail::LayerState& stateOf(const std::shared_ptr<detail::LayerState>& s) {
  if (!s) throw Error("LayerSpec: empty spec (made by LayerSpec(); use a builder such as st::layers::dense)");
  return *s;
}
}  // namespace

const std::string& LayerSpec::className() const { return stateOf(state_).className; }
const std::string& LayerSpec::name() const { return stateOf(state_).name; }
const Json& LayerSpec::config() const { return stateOf(state_).config; }
Json LayerSpec::toJson() const { return Json{{"class_name", className()}, {"config", config()}}; }

std::vector<KerasTensor> LayerSpec::applyMulti(const std::vector<KerasTensor>& inputs) const {
  const detail::LayerState& s = stateOf(state_);
  const std::string ctx = "apply(): " + s.probe->describe();
  if (s.className == "InputLayer") throw Error(ctx + " cannot be applied; model inputs come from st::input()");
  if (inputs.empty()) throw Error(ctx + ": no inputs given");
  std::vector<SymShape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) throw Error(ctx + ": input " + std::to_string(i) + " is an empty KerasTensor");
    shapes.push_back(inputs[i].shape());
  }
  auto node = std::make_shared<detail::GraphNode>();
  try {
    node->outputShapes = s.probe->outputShapes(shapes);
  } catch (const Error& e) {
    throw Error("apply(): " + std::string(e.what()));
  }
  node->layer = state_;
  node->index = state_->calls++;
  node->inputs = inputs;
  node->outputDtypes.assign(node->outputShapes.size(), DType::float32);
  std::vector<KerasTensor> out;
  for (size_t i = 0; i < node->outputShapes.size(); ++i) out.emplace_back(node, static_cast<int>(i));
  return out;
}

KerasTensor LayerSpec::apply(const std::vector<KerasTensor>& inputs) const {
  std::vector<KerasTensor> out = applyMulti(inputs);
  if (out.size() != 1)
    throw Error("apply(): " + state_->probe->describe() + " has " + std::to_string(out.size()) +
                " outputs; use applyMulti() to get them all");
  return out[0];
}

KerasTensor LayerSpec::apply(const KerasTensor& input) const { return apply(std::vector<KerasTensor>{input}); }

namespace {
const detail::GraphNode& nodeOf(const std::shared_ptr<const detail::GraphNode>& n) {
  if (!n) throw Error("KerasTensor: empty tensor (default-constructed; use st::input() or LayerSpec::apply())");
  return *n;
}
}  // namespace

const Shape& KerasTensor::shape() const { return nodeOf(node_).outputShapes.at(index_); }
DType KerasTensor::dtype() const { return nodeOf(node_).outputDtypes.at(index_); }
const std::string& KerasTensor::layerName() const { return nodeOf(node_).layer->name; }
int KerasTensor::nodeIndex() const { return nodeOf(node_).index; }
std::string KerasTensor::name() const {
  return layerName() + "/" + std::to_string(nodeIndex()) + ":" + std::to_string(index_);
}

LayerSpec layer(const std::string& className, const Json& config) {
  return LayerSpec(className, config, "st::layers::layer('" + className + "')");
}

}  // namespace layers
}  // namespace strata
