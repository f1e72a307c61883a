// Reading Keras serialized objects (initializers, regularizers, constraints) as they appear in a
// layer config: a bare name ("glorot_uniform"), or {"class_name", "config"} with Keras 3's
// optional "module" and "registered_name". Shared by initializers.cpp and weight_policies.cpp.
#pragma once

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strata/error.h"

namespace strata::keras {

using Json = nlohmann::json;

/// A Keras object as written: its class name and its config (an empty object if none).
struct Object {
  std::string className;
  const Json* config = nullptr;
};

/// "GlorotUniform", "glorot_uniform" and "glorotUniform" all become "glorotuniform": Keras,
/// its snake_case aliases, TF.js's camelCase identifiers and Keras 3's names compare equal.
inline std::string canonicalName(const std::string& name) {
  std::string out;
  for (char ch : name)
    if (ch != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

/// Reads a bare name or a {class_name, config} object; `what` ("initializer") and `context`
/// (the layer and key) name it in errors.
inline Object readObject(const Json& j, const char* what, const std::string& context) {
  static const Json kEmpty = Json::object();
  if (j.is_string()) return {j.get<std::string>(), &kEmpty};
  if (!j.is_object())
    throw Error(context + ": expected an " + std::string(what) + " name or {\"class_name\", \"config\"}, got " +
                j.dump());
  auto cls = j.find("class_name");
  if (cls == j.end() || !cls->is_string())
    throw Error(context + ": the " + std::string(what) + " has no class_name: " + j.dump());
  auto cfg = j.find("config");
  if (cfg != j.end() && !cfg->is_null() && !cfg->is_object())
    throw Error(context + ": the " + std::string(what) + "'s config must be an object, got " + cfg->dump());
  return {cls->get<std::string>(), cfg != j.end() && cfg->is_object() ? &*cfg : &kEmpty};
}

/// The value under `snake` (or its camelCase spelling `camel`), or null if absent or null.
inline const Json* field(const Json& config, const char* snake, const char* camel = nullptr) {
  if (!config.is_object()) return nullptr;
  for (const char* key : {snake, camel}) {
    if (!key) continue;
    auto it = config.find(key);
    if (it != config.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

/// A finite number under `snake`/`camel`, or `fallback` if absent or null. Keras h5 exports
/// sometimes write scalars as {"type": "ndarray", "value": x}; that form is read too.
inline double number(const Json& config, const char* snake, const char* camel, double fallback,
                     const std::string& context) {
  const Json* v = field(config, snake, camel);
  if (!v) return fallback;
  const Json* n = v;
  if (v->is_object() && v->contains("value")) n = &(*v)["value"];
  if (!n->is_number() || !std::isfinite(n->get<double>()))
    throw Error(context + "." + snake + " must be a number, got " + v->dump());
  return n->get<double>();
}

/// The config's "seed" (null or absent: none).
inline std::optional<uint64_t> seed(const Json& config, const std::string& context) {
  const Json* v = field(config, "seed");
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer()) return static_cast<uint64_t>(v->get<int64_t>());
  if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>())
    return static_cast<uint64_t>(static_cast<int64_t>(v->get<double>()));
  throw Error(context + ".seed must be an integer or null, got " + v->dump());
}

/// An int or a list of ints under `snake` ("axis": 0 or [0, 1, 2]); `fallback` if absent.
inline std::vector<int> ints(const Json& config, const char* snake, std::vector<int> fallback,
                             const std::string& context) {
  const Json* v = field(config, snake);
  if (!v) return fallback;
  std::vector<int> out;
  auto bad = [&] { return Error(context + "." + snake + " must be an integer or a list of integers, got " + v->dump()); };
  if (v->is_number_integer()) return {v->get<int>()};
  if (!v->is_array() || v->empty()) throw bad();
  for (const Json& e : *v) {
    if (!e.is_number_integer()) throw bad();
    out.push_back(e.get<int>());
  }
  return out;
}

}  // namespace strata::keras
