// Helpers shared by src/train/losses.cpp and src/train/metrics.cpp: argument checks with
// messages that name the loss or metric and both shapes, and name spelling (camelCase ->
// snake_case as tfjs-layers' toSnakeCase, so every name compile() writes reads back).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/tensor.h"

namespace strata::losses::detail {

/// tfjs-layers' backend epsilon(): the clip margin of the probability losses.
inline constexpr float kEpsilon = 1e-7f;

/// Throws unless yTrue and yPred have the same shape of rank >= 1 (tfjs-layers would broadcast
/// a [batch] against a [batch, 1] into [batch, batch], silently, which is never what is meant).
void checkSameShape(std::string_view what, const Tensor& yTrue, const Tensor& yPred);
/// Throws unless yPred has rank >= 1 and the labels' shape is yPred's without its last axis,
/// or that plus a trailing 1 (e.g. [batch] or [batch, 1] against [batch, classes]).
void checkSparseLabels(std::string_view what, const Tensor& labels, const Tensor& yPred);
/// The tensor itself when float32, else cast to float32 (labels given as int32 or bool).
Tensor asFloat(const Tensor& t);
/// "topKCategoricalAccuracy" -> "top_k_categorical_accuracy", as tfjs-layers' toSnakeCase.
std::string snakeCase(std::string_view camel);
/// The unknown-name error: "<kind> 'name' is unknown; known <kind>s: a, b, ... <extra>", with a
/// "did you mean" when the name matches a known one but for letter case or underscores.
[[noreturn]] void throwUnknown(std::string_view kind, const std::string& name,
                               const std::vector<std::string>& known, std::string_view extra);

}  // namespace strata::losses::detail
