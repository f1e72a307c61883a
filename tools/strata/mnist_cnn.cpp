// The MNIST CNN shared by `strata demo` and `strata bench` (see mnist_cnn.h).
#include "mnist_cnn.h"

#include "strata/layers_api.h"

namespace strata::cli {

// The ReLU layers use He initialization (He et al. 2015: variance 2/fanIn keeps activations'
// scale through ReLUs) rather than TF.js's glorotNormal default, the usual choice for ReLU nets.
LayersModel mnistCnn() {
  auto model = sequential({.name = "mnist_cnn"});
  model.add(layers::conv2d({.filters = 32, .kernelSize = 3, .activation = "relu", .kernelInitializer = "heNormal",
                            .inputShape = {28, 28, 1}}));
  model.add(layers::maxPooling2d({.poolSize = 2}));
  model.add(layers::conv2d({.filters = 64, .kernelSize = 3, .activation = "relu", .kernelInitializer = "heNormal"}));
  model.add(layers::maxPooling2d({.poolSize = 2}));
  model.add(layers::flatten());
  model.add(layers::dense({.units = 128, .activation = "relu", .kernelInitializer = "heNormal"}));
  model.add(layers::dense({.units = 10, .activation = "softmax"}));
  return model;
}

}  // namespace strata::cli
