// Optimizers (TF.js `tf.train.*`): the update rules of TF.js 4.22 exactly, with their state
// ("slots") kept per variable. Implemented in src/train/optimizers.cpp.
//
//   auto opt = st::adam(0.001f);
//   opt->minimize([&] { return st::mean(st::square(st::sub(st::matMul(x, w), y))); });
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "strata/tensor.h"

namespace strata {

/// One variable and the gradient to apply to it.
struct VariableGradient {
  Variable variable;
  Tensor gradient;
};

/// Base of every optimizer. State (moments, accumulators) is created on a variable's first
/// update and kept, by variable name, until dispose().
class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Updates every variable from its gradient (TF.js `applyGradients`); increments iterations().
  virtual void applyGradients(const std::vector<VariableGradient>& gradients) = 0;

  /// Computes the gradients of the scalar `f()` with respect to `varList` (every trainable
  /// variable if empty), applies them and returns f's value (TF.js `minimize`).
  Tensor minimize(const std::function<Tensor()>& f, const std::vector<Variable>& varList = {});

  /// TF.js class name as serialized in `trainingConfig` ("Adam", "SGD", "Momentum", ...).
  virtual std::string className() const = 0;
  /// TF.js config (camelCase keys: {"learningRate": 0.001, "beta1": 0.9, ...}).
  virtual nlohmann::json getConfig() const = 0;

  /// Number of applyGradients calls so far.
  int64_t iterations() const { return iterations_; }
  /// Frees the optimizer's state variables (slots); the next update starts fresh.
  virtual void dispose();

 protected:
  Optimizer() = default;
  /// The slot `slot` ("m", "v", ...) of `v`, created from `init()` on first use.
  Variable& slot(const Variable& v, const std::string& slot, const std::function<Tensor()>& init);
  int64_t iterations_ = 0;

 private:
  std::map<std::pair<std::string, std::string>, Variable> slots_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

/// Plain gradient descent: v -= lr * g.
OptimizerPtr sgd(float learningRate);
/// Momentum: a = momentum * a + g; v -= lr * a (nesterov: v -= lr * (g + momentum * a)).
OptimizerPtr momentum(float learningRate, float momentum, bool useNesterov = false);
/// Adam with TF.js's bias correction; epsilon defaults to 1e-7 as in TF.js.
OptimizerPtr adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f);
OptimizerPtr adamax(float learningRate = 0.002f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f,
                    float decay = 0.0f);
OptimizerPtr adagrad(float learningRate, float initialAccumulatorValue = 0.1f);
OptimizerPtr adadelta(float learningRate = 0.001f, float rho = 0.95f, float epsilon = 1e-7f);
OptimizerPtr rmsprop(float learningRate, float decay = 0.9f, float momentum = 0.0f, float epsilon = 1e-7f,
                     bool centered = false);

/// An optimizer by the name compile() accepts, with tfjs-layers' defaults for that name
/// ("sgd", "momentum", "adam", "adamax", "adagrad", "adadelta", "rmsprop"; any case).
/// Throws strata::Error listing the known names.
OptimizerPtr getOptimizer(const std::string& name);
/// An optimizer from its TF.js serialization {"class_name": "Adam", "config": {...}}
/// (missing config keys take TF.js's defaults). Throws naming the bad key or class.
OptimizerPtr optimizerFromJson(const nlohmann::json& json);
/// {"class_name": ..., "config": ...} as TF.js writes it into `trainingConfig`.
nlohmann::json optimizerToJson(const Optimizer& optimizer);

}  // namespace strata
