#include "models/activations.h"

#include <algorithm>
#include <cctype>

#include "strata/error.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

struct Entry {
  const char* name;
  Tensor (*fn)(const Tensor&);
  std::optional<Activation> fused;
};

Tensor linearFn(const Tensor& x) { return x; }
Tensor reluFn(const Tensor& x) { return relu(x); }
Tensor softmaxFn(const Tensor& x) { return softmax(x, -1); }
Tensor logSoftmaxFn(const Tensor& x) { return logSoftmax(x, -1); }
Tensor geluFn(const Tensor& x) { return gelu(x, false); }
Tensor geluNewFn(const Tensor& x) { return gelu(x, true); }
Tensor eluFn(const Tensor& x) { return elu(x); }
Tensor sigmoidFn(const Tensor& x) { return sigmoid(x); }

// TF.js names; Keras's snake_case spellings are normalized to these before lookup.
const Entry kActivations[] = {
    {"linear", linearFn, Activation::linear},
    {"relu", reluFn, Activation::relu},
    {"relu6", [](const Tensor& x) { return relu6(x); }, Activation::relu6},
    {"elu", eluFn, Activation::elu},
    {"selu", [](const Tensor& x) { return selu(x); }, std::nullopt},
    {"sigmoid", sigmoidFn, Activation::sigmoid},
    {"hardSigmoid", [](const Tensor& x) { return hardSigmoid(x); }, std::nullopt},
    {"tanh", [](const Tensor& x) { return tanh(x); }, std::nullopt},
    {"softmax", softmaxFn, std::nullopt},
    {"logSoftmax", logSoftmaxFn, std::nullopt},
    {"softplus", [](const Tensor& x) { return softplus(x); }, std::nullopt},
    {"softsign", [](const Tensor& x) { return softsign(x); }, std::nullopt},
    {"swish", [](const Tensor& x) { return swish(x); }, std::nullopt},
    {"mish", [](const Tensor& x) { return mish(x); }, std::nullopt},
    {"gelu", geluFn, std::nullopt},
    {"gelu_new", geluNewFn, std::nullopt},
    {"exponential", [](const Tensor& x) { return exp(x); }, std::nullopt},
};

// "hard_sigmoid" -> "hardSigmoid", "log_softmax" -> "logSoftmax"; "gelu_new" stays.
std::string canonical(std::string n) {
  if (n == "gelu_new") return n;
  if (n == "silu") return "swish";
  std::string out;
  bool upper = false;
  for (char c : n) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

}  // namespace

ActivationSpec getActivation(const nlohmann::json& spec, const std::string& context) {
  std::string name;
  if (spec.is_null()) name = "linear";
  else if (spec.is_string()) name = spec.get<std::string>();
  else if (spec.is_object() && spec.contains("class_name") && spec["class_name"].is_string())
    name = spec["class_name"].get<std::string>();
  else
    throw Error(context + ": activation must be a name or {class_name, config}, got " + spec.dump());
  std::string c = canonical(name);
  // Serialized class names are capitalized ("ReLU", "Linear"): match case-insensitively.
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return s;
  };
  for (const Entry& e : kActivations)
    if (c == e.name || lower(c) == lower(e.name)) return ActivationSpec{e.name, e.fn, e.fused};
  std::string known;
  for (const Entry& e : kActivations) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw Error(context + ": unknown activation '" + name + "' (known: " + known + ")");
}

std::vector<std::string> activationNames() {
  std::vector<std::string> v;
  for (const Entry& e : kActivations) v.push_back(e.name);
  return v;
}

}  // namespace strata::layers
