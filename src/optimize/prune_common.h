// Helpers shared by magnitude and structured pruning (src/optimize/prune*.cpp).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "models/model.h"

namespace strata::prune {

/// Keras class -> the weight magnitude pruning masks (TFMOT's prune registry).
const std::vector<std::pair<std::string, std::string>>& prunableTable();
/// The prunable weight's name for a class, or null.
const std::string* prunableWeightOf(const std::string& className);
/// Calls fn on every non-model layer, descending into nested models.
void forEachLayer(layers::Model& model, const std::function<void(layers::Layer&)>& fn);
/// "conv2d, max_pooling2d, ..." for error messages (input layers left out).
std::string layerNames(layers::Model& model);

}  // namespace strata::prune
