// Internal: the optimizers built from double-precision hyperparameters. TF.js keeps its
// hyperparameters as JS numbers (doubles) and rounds each to float32 only where it becomes a
// tensor, sometimes after double arithmetic (`1 - beta1`); keeping doubles here reproduces that
// rounding, and getConfig() writes back exactly the numbers a TF.js config holds.
#pragma once

#include "strata/optimizers.h"

namespace strata::train {

/// Every TF.js optimizer whose epsilon defaults to `backend.epsilon()` gets this value (the
/// float32 backends' epsilon, which is all Strata has).
inline constexpr double kBackendEpsilon = 1e-7;

/// The shortest decimal that rounds to `f`, as a double: sgd(0.05f) behaves, and serializes,
/// like TF.js's sgd(0.05) rather than sgd(0.0500000007450580596923828125).
double decimalOf(float f);

OptimizerPtr makeSgd(double learningRate);
OptimizerPtr makeMomentum(double learningRate, double momentum, bool useNesterov);
OptimizerPtr makeAdam(double learningRate, double beta1, double beta2, double epsilon);
OptimizerPtr makeAdamax(double learningRate, double beta1, double beta2, double epsilon, double decay);
OptimizerPtr makeAdagrad(double learningRate, double initialAccumulatorValue);
OptimizerPtr makeAdadelta(double learningRate, double rho, double epsilon);
OptimizerPtr makeRmsprop(double learningRate, double decay, double momentum, double epsilon, bool centered);

}  // namespace strata::train
