// Optimizers by name (tfjs-layers' getOptimizer) and from/to TF.js's serialization
// ({"class_name": "Adam", "config": {...}}, as `trainingConfig.optimizer_config` holds it).
#include <algorithm>
#include <cctype>
#include <optional>

#include "strata/error.h"
#include "strata/optimizers.h"
#include "train/optimizer_factories.h"

namespace strata {

namespace {

using nlohmann::json;
using namespace train;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// tfjs-layers' toCamelCase, which loadTrainingConfig applies to every key: "learning_rate" ->
// "learningRate", "beta_1" -> "beta1"; keys without '_' are kept.
std::string camelCase(const std::string& key) {
  if (key.size() <= 1 || key.find('_') == std::string::npos) return key;
  std::string out;
  for (size_t i = 0; i < key.size();) {
    if (key[i] != '_') {
      out += key[i++];
      continue;
    }
    while (i < key.size() && key[i] == '_') ++i;
    if (i < key.size()) out += static_cast<char>(std::toupper(static_cast<unsigned char>(key[i++])));
  }
  return out;
}

// Case and underscores removed: how a misspelt key is recognized.
std::string squashed(const std::string& key) {
  std::string out;
  for (char c : lower(key))
    if (c != '_') out += c;
  return out;
}

// Reads one optimizer's config. Like TF.js, keys the optimizer does not read are ignored (Keras
// writes "name", "clipnorm", ...), except near-misses of its own keys ("LearningRate"), which
// are almost certainly typos and would otherwise silently fall back to a default.
class ConfigReader {
 public:
  ConfigReader(std::string className, const json& config) : cls_(std::move(className)) {
    for (const auto& [key, value] : config.items()) values_[camelCase(key)] = value;
  }
  /// A number; `fallback` (TF.js's default) when absent or null, else an error.
  double number(const char* key, std::optional<double> fallback = std::nullopt) {
    const json* v = find(key);
    if (!v || v->is_null()) {
      if (fallback) return *fallback;
      throw Error(where() + " has no \"" + key + "\" (it has no default)");
    }
    if (!v->is_number()) throw Error(where() + ": \"" + key + "\" must be a number, got " + v->dump());
    return v->get<double>();
  }
  bool boolean(const char* key, bool fallback) {
    const json* v = find(key);
    if (!v || v->is_null()) return fallback;
    if (!v->is_boolean()) throw Error(where() + ": \"" + key + "\" must be true or false, got " + v->dump());
    return v->get<bool>();
  }
  void rejectMisspelledKeys() const {
    for (const auto& [key, value] : values_) {
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      for (const auto& k : known_)
        if (squashed(k) == squashed(key))
          throw Error(where() + ": unknown key \"" + key + "\"; did you mean \"" + k + "\"?");
    }
  }

 private:
  const json* find(const char* key) {
    known_.emplace_back(key);
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  std::string where() const { return "optimizer config of class '" + cls_ + "'"; }
  std::string cls_;
  std::map<std::string, json> values_;
  std::vector<std::string> known_;
};

// Each TF.js optimizer class: how its config becomes an optimizer. Defaults are tf.train.*'s
// (the TF.js constructors have none for learningRate and momentum where tf.train has none).
struct ClassEntry {
  const char* className;
  OptimizerPtr (*make)(ConfigReader&);
};
const ClassEntry kClasses[] = {
    {"SGD", [](ConfigReader& r) { return makeSgd(r.number("learningRate")); }},
    {"Momentum",
     [](ConfigReader& r) {
       double lr = r.number("learningRate"), momentum = r.number("momentum");
       return makeMomentum(lr, momentum, r.boolean("useNesterov", false));
     }},
    {"Adam",
     [](ConfigReader& r) {
       double lr = r.number("learningRate", 0.001), beta1 = r.number("beta1", 0.9), beta2 = r.number("beta2", 0.999);
       return makeAdam(lr, beta1, beta2, r.number("epsilon", kBackendEpsilon));
     }},
    {"Adamax",
     [](ConfigReader& r) {
       double lr = r.number("learningRate", 0.002), beta1 = r.number("beta1", 0.9), beta2 = r.number("beta2", 0.999);
       double epsilon = r.number("epsilon", kBackendEpsilon);
       return makeAdamax(lr, beta1, beta2, epsilon, r.number("decay", 0.0));
     }},
    {"Adagrad",
     [](ConfigReader& r) {
       double lr = r.number("learningRate");
       return makeAdagrad(lr, r.number("initialAccumulatorValue", 0.1));
     }},
    {"Adadelta",
     [](ConfigReader& r) {
       double lr = r.number("learningRate", 0.001), rho = r.number("rho", 0.95);
       return makeAdadelta(lr, rho, r.number("epsilon", kBackendEpsilon));
     }},
    {"RMSProp",
     [](ConfigReader& r) {
       double lr = r.number("learningRate"), decay = r.number("decay", 0.9), momentum = r.number("momentum", 0.0);
       double epsilon = r.number("epsilon", kBackendEpsilon);
       return makeRmsprop(lr, decay, momentum, epsilon, r.boolean("centered", false));
     }},
};

// The names compile() accepts, lowercased, with tfjs-layers' defaults (tfjs-layers/src/
// optimizers.ts getOptimizer; epsilon() there is the backend's, 1e-7).
struct NameEntry {
  const char* name;
  OptimizerPtr (*make)();
};
const NameEntry kNames[] = {
    {"adadelta", [] { return makeAdadelta(1, 0.95, kBackendEpsilon); }},
    {"adagrad", [] { return makeAdagrad(0.01, 0.1); }},
    {"adam", [] { return makeAdam(0.001, 0.9, 0.999, kBackendEpsilon); }},
    {"adamax", [] { return makeAdamax(0.002, 0.9, 0.999, kBackendEpsilon, 0); }},
    // Not in tfjs-layers' map (TF.js rejects 'momentum'): Strata adds it with SGD's learning
    // rate and the customary momentum of 0.9 (Keras' own SGD momentum default is 0).
    {"momentum", [] { return makeMomentum(0.01, 0.9, false); }},
    {"rmsprop", [] { return makeRmsprop(0.001, 0.9, 0, kBackendEpsilon, false); }},
    {"sgd", [] { return makeSgd(0.01); }},
};

std::string shortDump(const json& j) {
  std::string s = j.dump();
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

}  // namespace

OptimizerPtr getOptimizer(const std::string& name) {
  const std::string key = lower(name);
  for (const auto& e : kNames)
    if (key == e.name) return e.make();
  std::string known;
  for (const auto& e : kNames) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw Error("Unknown optimizer '" + name + "'; known names (any case): " + known);
}

OptimizerPtr optimizerFromJson(const json& j) {
  const char* expected = "expected {\"class_name\": \"Adam\", \"config\": {...}}";
  if (!j.is_object()) throw Error(std::string("optimizerFromJson: ") + expected + ", got " + shortDump(j));
  // TF.js converts "class_name" to "className" before deserializing; accept both spellings.
  const json* cls = j.contains("class_name") ? &j["class_name"] : j.contains("className") ? &j["className"] : nullptr;
  if (!cls || !cls->is_string())
    throw Error(std::string("optimizerFromJson: no \"class_name\" string in ") + shortDump(j) + "; " + expected);
  const std::string className = cls->get<std::string>();
  const json empty = json::object();
  const json& config = j.contains("config") && !j["config"].is_null() ? j["config"] : empty;
  if (!config.is_object())
    throw Error("optimizerFromJson: \"config\" of optimizer class '" + className + "' must be an object, got " +
                shortDump(config));
  // The exact TF.js name first; any case as a courtesy (Keras writes "RMSprop").
  const ClassEntry* entry = nullptr;
  for (const auto& e : kClasses)
    if (className == e.className) entry = &e;
  for (const auto& e : kClasses)
    if (!entry && lower(className) == lower(e.className)) entry = &e;
  if (!entry) {
    std::string known;
    for (const auto& e : kClasses) known += std::string(known.empty() ? "" : ", ") + e.className;
    throw Error("optimizerFromJson: unknown optimizer class '" + className + "'; known classes: " + known);
  }
  ConfigReader reader(entry->className, config);
  OptimizerPtr optimizer = entry->make(reader);
  reader.rejectMisspelledKeys();
  return optimizer;
}

json optimizerToJson(const Optimizer& optimizer) {
  return {{"class_name", optimizer.className()}, {"config", optimizer.getConfig()}};
}

}  // namespace strata
