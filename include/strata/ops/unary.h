// Unary math and activations (TF.js names). Integer inputs of float-only ops are cast to
// float32 first, as TF.js does. Implemented in src/ops/unary.cpp.
#pragma once

#include "strata/tensor.h"

namespace strata {

Tensor abs(const Tensor& x);
Tensor acos(const Tensor& x);
Tensor acosh(const Tensor& x);
Tensor asin(const Tensor& x);
Tensor asinh(const Tensor& x);
Tensor atan(const Tensor& x);
Tensor atanh(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor cosh(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor neg(const Tensor& x);
Tensor reciprocal(const Tensor& x);
/// Rounds half to even, as TF.js does.
Tensor round(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor sinh(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor tanh(const Tensor& x);

/// Boolean tests (bool output).
Tensor isNaN(const Tensor& x);
Tensor isInf(const Tensor& x);
Tensor isFinite(const Tensor& x);
Tensor logicalNot(const Tensor& x);

// Activations.
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor elu(const Tensor& x);
Tensor selu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor logSigmoid(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
/// x * sigmoid(x); Keras "swish" / "silu".
Tensor swish(const Tensor& x);
/// x * tanh(softplus(x)).
Tensor mish(const Tensor& x);
/// Gaussian error linear unit; `approximate` uses the tanh form (Keras default is exact).
Tensor gelu(const Tensor& x, bool approximate = false);
Tensor leakyRelu(const Tensor& x, float alpha = 0.2f);
/// max(0, min(1, 0.2x + 0.5)), Keras's hard_sigmoid.
Tensor hardSigmoid(const Tensor& x);
/// x > 0 ? 1 : alpha (TF.js `step`).
Tensor step(const Tensor& x, float alpha = 0.0f);
Tensor clipByValue(const Tensor& x, float min, float max);

/// Converts the elements to `dtype`.
Tensor cast(const Tensor& x, DType dtype);

}  // namespace strata
