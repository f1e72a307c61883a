#include "strata/ops/nn_types.h"

#include <cstring>

#include "strata/error.h"

namespace strata {

Padding::Padding(const char* mode) {
  if (std::strcmp(mode, "valid") == 0) kind = Kind::valid;
  else if (std::strcmp(mode, "same") == 0) kind = Kind::same;
  else throw Error(std::string("padding must be 'valid', 'same' or explicit amounts, got '") + mode + "'");
}

Activation parseActivation(const std::string& name) {
  static const std::pair<const char*, Activation> kNames[] = {
      {"linear", Activation::linear}, {"relu", Activation::relu},           {"relu6", Activation::relu6},
      {"elu", Activation::elu},       {"leakyrelu", Activation::leakyrelu}, {"prelu", Activation::prelu},
      {"sigmoid", Activation::sigmoid},
  };
  for (auto& [n, a] : kNames)
    if (name == n) return a;
  throw Error("unknown fused activation '" + name + "' (expected linear, relu, relu6, elu, leakyrelu, prelu or sigmoid)");
}

}  // namespace strata
