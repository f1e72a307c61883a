// Inference-time graph rewriting: a Conv2D/DepthwiseConv2D followed by BatchNormalization (and
// optionally ReLU/ReLU6) runs as one fused convolution with folded weights and bias; a
// ZeroPadding2D feeding only a 'valid' convolution becomes the convolution's own padding (no
// padded copy of the image). Folded weights are cached and recomputed when any source weight
// changes.
#pragma once

#include <map>
#include <vector>

#include "models/model.h"

namespace strata::layers {

/// One fused chain: the conv node, the BN node, an optional activation node.
struct FusedConv {
  int convNode = -1, bnNode = -1, actNode = -1;
  int padNode = -1;  ///< a ZeroPadding2D folded into `pad`, or -1
  bool depthwise = false;
  Tensor kernel, bias;  ///< folded
  std::vector<uint64_t> sources;  ///< storage ids the folded values were computed from
  Activation activation = Activation::linear;
  std::array<int, 2> strides{1, 1}, dilations{1, 1};
  Padding pad;
};

struct InferencePlan {
  std::vector<FusedConv> fused;
  std::map<int, int> fusedAt;   ///< node index of the chain's last node -> index in `fused`
  std::vector<bool> skip;       ///< nodes computed by a fused chain
};

/// Finds the chains in `model` (nodes in its topological order).
InferencePlan planInference(Model& model);
/// The node whose output the chain reads (the ZeroPadding2D's input when one was folded).
TensorRef chainInput(const Model& model, const FusedConv& f);
/// Runs chain `f` on input x, refolding weights first if they changed.
Tensor runFused(Model& model, FusedConv& f, const Tensor& x);

}  // namespace strata::layers
