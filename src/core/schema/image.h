// Op schema of the image resizing kernels: names (TF.js kernel names) and attributes.
// Ops in src/ops/image.cpp dispatch to them.
#pragma once

namespace strata::schema {

/// ResizeBilinear: images [batch, h, w, c] (float32) -> [batch, newH, newW, c] float32.
/// ResizeNearestNeighbor: the same, float32 or int32, output of the input's dtype.
/// The new size is the output's shape. Source coordinates follow TF.js's CPU kernels:
///   scale = (alignCorners && out > 1) ? (in - 1) / (out - 1) : in / out
///   bilinear: src = halfPixelCenters ? (i + 0.5) * scale - 0.5 : i * scale, lerp between
///             max(floor(src), 0) and min(ceil(src), in - 1)
///   nearest:  src = halfPixelCenters ? (i + 0.5) * scale : i * scale, then
///             min(in - 1, alignCorners ? round(src) : floor(src)), clamped at 0 with halfPixelCenters
/// ResizeBilinearGrad, ResizeNearestNeighborGrad: inputs (dy, images) -> d images (float32,
/// images' shape): the exact adjoint of the forward map, halfPixelCenters included.
struct ResizeAttrs {
  bool alignCorners = false;
  bool halfPixelCenters = false;
};

}  // namespace strata::schema
