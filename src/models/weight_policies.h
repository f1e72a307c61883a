// What a layer's config says about each of its weights beyond its shape: the initializer
// (`kernel_initializer`, ...), the regularizer (`kernel_regularizer`, ...) and the constraint
// (`kernel_constraint`, ...). The weight's short name selects the config key through one table
// (kernel -> kernel_*, recurrent_kernel -> recurrent_*, gamma -> gamma_*, ...).
#pragma once

#include <optional>

#include "models/model.h"

namespace strata::layers {

/// Gives every weight of `model` (nested models included) its initial value from its layer's
/// initializer config (Keras/TF.js defaults when absent). `seed` seeds initializers whose
/// config has no seed (each weight gets its own stream); without it the engine's generator is used.
void initializeWeights(Model& model, std::optional<uint64_t> seed = std::nullopt);

/// Sum of every weight regularizer's penalty (l1 * sum|w| + l2 * sum w^2), a float32 scalar;
/// an undefined Tensor when no layer has a regularizer. Records on the gradient tape.
Tensor regularizationLoss(Model& model);

/// Applies every weight constraint (maxNorm, minMaxNorm, nonNeg, unitNorm) in place after each
/// optimizer step, as Keras does (TF.js 4.22 never applies constraints in fit: tfjs#3345).
void applyConstraints(Model& model);

}  // namespace strata::layers
