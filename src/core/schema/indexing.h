// Op schema of the gather/scatter kernels: names (TF.js kernel names) and attributes.
// Ops in src/ops/indexing.cpp dispatch to them. Index inputs are int32; kernels throw on
// indices out of range (as TF.js does).
#pragma once

namespace strata::schema {

/// GatherV2: inputs (x, indices). `axis` and `batchDims` are resolved (non-negative,
/// batchDims <= axis). x [B..., O..., D, I...], indices [B..., J...] -> out [B..., O..., J..., I...]
/// of x's dtype.
struct GatherAttrs {
  int axis = 0;
  int batchDims = 0;
};

/// GatherNd: inputs (x, indices [..., k]) -> out indices.shape[:-1] + x.shape[k:]. No attributes.
/// ScatterNd: inputs (indices [..., k], updates) -> zeros of the output shape with every update
/// slice added at its index (duplicates are summed). Indices of rank 1 address one axis each.
/// The output shape comes with the output view. No attributes.

/// OneHot: input indices (int32) -> indices.shape + [depth]; out-of-range indices give a row
/// of offValue. Output float32 or int32.
struct OneHotAttrs {
  int depth = 2;
  float onValue = 1;
  float offValue = 0;
};

/// TopK: input x [..., n] -> values [..., k] (x's dtype) and indices [..., k] (int32). Equal
/// values keep the lower index first. Unsorted output lists the chosen entries by index.
struct TopKAttrs {
  int k = 1;
  bool sorted = true;
};

/// UnsortedSegmentSum: inputs (x [P..., S...], segmentIds [P...] int32) -> [numSegments, S...]
/// where slice s sums the slices of x whose id is s; ids outside [0, numSegments) are dropped.
/// float32 or int32.
struct UnsortedSegmentSumAttrs {
  int numSegments = 0;
};

}  // namespace strata::schema
