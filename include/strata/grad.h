// Automatic differentiation (TF.js `tf.grad`, `tf.grads`, `tf.valueAndGrad(s)`,
// `tf.variableGrads`, `tf.customGrad`). Ops are recorded only while a gradient is being
// taken, so inference pays nothing.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "strata/tensor.h"

namespace strata {

struct ValueAndGradResult {
  Tensor value;
  Tensor grad;
};
struct ValueAndGradsResult {
  Tensor value;
  std::vector<Tensor> grads;
};
struct VariableGradsResult {
  Tensor value;
  std::map<std::string, Tensor> grads;  ///< by variable name
};

namespace detail {
// Runs f with xs watched, then backpropagates dy (ones if empty) from f's value.
ValueAndGradsResult gradients(const std::function<Tensor()>& f, const std::vector<Tensor>& xs,
                              const Tensor& dy);
}  // namespace detail

/// Returns a function computing df/dx of a one-input function: `grad(f)(x, dy)`.
/// `dy` (ones if omitted) has f(x)'s shape; the result has x's shape.
template <class F>
auto grad(F f) {
  return [f](const Tensor& x, const Tensor& dy = Tensor()) {
    return detail::gradients([&] { return f(x); }, {x}, dy).grads[0];
  };
}

/// Like grad() for a function of several tensors: `grads(f)({a, b}, dy)`.
template <class F>
auto grads(F f) {
  return [f](const std::vector<Tensor>& xs, const Tensor& dy = Tensor()) {
    return detail::gradients([&] { return f(xs); }, xs, dy).grads;
  };
}

/// Like grad(), also returning f(x).
template <class F>
auto valueAndGrad(F f) {
  return [f](const Tensor& x, const Tensor& dy = Tensor()) {
    auto r = detail::gradients([&] { return f(x); }, {x}, dy);
    return ValueAndGradResult{r.value, r.grads[0]};
  };
}

/// Like grads(), also returning f(xs).
template <class F>
auto valueAndGrads(F f) {
  return [f](const std::vector<Tensor>& xs, const Tensor& dy = Tensor()) {
    return detail::gradients([&] { return f(xs); }, xs, dy);
  };
}

/// Gradients of the scalar f() with respect to `varList` (every trainable variable if empty).
/// Variables f does not use get no entry.
VariableGradsResult variableGrads(const std::function<Tensor()>& f,
                                  const std::vector<Variable>& varList = {});

/// What a customGrad function returns: its value and how to map dy to one gradient per input.
struct CustomGradResult {
  Tensor value;
  std::function<std::vector<Tensor>(const Tensor& dy)> gradFunc;
};

/// Wraps `f` so that its gradient is `gradFunc` instead of the gradient of the ops inside it.
std::function<Tensor(const std::vector<Tensor>&)> customGrad(
    std::function<CustomGradResult(const std::vector<Tensor>&)> f);

}  // namespace strata
