// The MNIST CNN of the training issue, shared by `strata demo` and `strata bench`:
// Conv32-Pool-Conv64-Pool-Dense128-Dense10 (ReLU, softmax out) on 28x28x1 NHWC digits.
#pragma once

#include "strata/models.h"

namespace strata::cli {

/// A new, uncompiled Sequential model named "mnist_cnn" whose weights come from the layers'
/// default initializers (seed them with setRandomSeed first for reproducible weights).
LayersModel mnistCnn();

}  // namespace strata::cli
