// Keras/TF.js activations by name ("relu", "softmax", ...), as used by Dense, Conv and
// Activation layers. Serialized forms {"class_name": "ReLU", "config": {}} are accepted too.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "strata/ops/nn_types.h"
#include "strata/tensor.h"

namespace strata::layers {

using ActivationFn = std::function<Tensor(const Tensor&)>;

struct ActivationSpec {
  std::string name;  ///< canonical TF.js name ("linear", "relu", "hard_sigmoid", ...)
  ActivationFn fn;
  /// The fused-kernel activation equivalent, if any (linear, relu, relu6, elu, sigmoid).
  std::optional<Activation> fused;
};

/// Parses an activation from its JSON (a string, or an object with class_name). Throws naming
/// `context` (e.g. "layer 'dense_1' (Dense)") and the known names if unknown.
ActivationSpec getActivation(const nlohmann::json& spec, const std::string& context);
/// Every activation name known.
std::vector<std::string> activationNames();

}  // namespace strata::layers
