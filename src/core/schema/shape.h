// Op schema of the shape and data-movement kernels. Every kernel here copies elements of
// dtypeSize(dtype) bytes, so it works for every dtype (PadV2 also writes its constant, for
// float32, int32 and bool).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "strata/dtype.h"

namespace strata::schema {

/// Reshape, ExpandDims, Squeeze, Identity: views (no kernel runs; storage is shared). Their
/// names still exist so that gradients can be registered.

/// Transpose: output axis i is input axis perm[i].
struct TransposeAttrs {
  std::vector<int> perm;
};

/// Concat (n inputs of one rank) and Pack (n inputs of one shape, joined along a new axis):
/// inputs are laid side by side along output axis `axis` (non-negative).
/// SplitV (outputs of the sizes the op chose) and Unpack (outputs without the axis): the
/// inverse, along input axis `axis`.
struct AxisAttrs {
  int axis = 0;
};

/// Slice: the output (of its shape) starts at `begin` of the input.
/// StridedSlice: output element k (row-major over `shape`, the output's elements arranged with
/// one extent per input axis) reads input index begin[d] + k[d] * strides[d] on each axis d.
/// The output tensor itself may have a different shape of the same size (new and shrunk axes).
struct SliceAttrs {
  std::vector<int64_t> begin;
  std::vector<int64_t> strides;  ///< empty for Slice (all 1)
  Shape shape;                   ///< StridedSlice only
};

/// Tile: output extent d is input extent d times reps[d].
struct TileAttrs {
  std::vector<int64_t> reps;
};

/// PadV2: {before, after} per axis, filled with `constantValue` (converted to the dtype).
/// MirrorPad: the same, mirrored; `symmetric` repeats the edge element, reflect does not.
struct PadAttrs {
  std::vector<std::pair<int64_t, int64_t>> paddings;
  float constantValue = 0;
  bool symmetric = false;
};

/// Reverse: reverses the listed axes (sorted, non-negative).
struct ReverseAttrs {
  std::vector<int> axes;
};

/// DepthToSpace, SpaceToDepth (NHWC): rearranges blockSize x blockSize spatial blocks to and
/// from the channel axis (channel index = (blockRow * blockSize + blockCol) * C + c).
struct BlockAttrs {
  int blockSize = 2;
};

}  // namespace strata::schema
