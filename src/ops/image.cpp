// Image resizing (NHWC): validation, dispatch and gradients (their own kernels, the adjoints of
// the forward maps).
#include "strata/ops/image.h"

#include "core/schema/image.h"
#include "ops/op_util.h"

namespace strata::image {

using detail::GradArgs;
using detail::run1;
using schema::ResizeAttrs;

namespace {

Tensor resize(const char* kernel, const char* op, const Tensor& x, std::array<int, 2> size, bool alignCorners,
              bool halfPixelCenters, bool keepIntegers) {
  detail::checkUsable(x, op, 0);
  if (x.rank() != 3 && x.rank() != 4)
    throw Error(std::string(op) + ": images must have rank 3 or 4, got shape " + shapeString(x.shape()));
  if (size[0] <= 0 || size[1] <= 0)
    throw Error(std::string(op) + ": size must be positive, got [" + std::to_string(size[0]) + "," +
                std::to_string(size[1]) + "]");
  if (alignCorners && halfPixelCenters)
    throw Error(std::string(op) + ": halfPixelCenters requires alignCorners to be false");
  // Nearest neighbour copies values, so int32 stays int32 (TF.js); everything else is float32.
  Tensor xc = keepIntegers && x.dtype() == DType::int32 ? x : detail::toFloat(x);
  const Shape& s = xc.shape();
  Tensor x4 = xc.rank() == 3 ? reshape(xc, {1, s[0], s[1], s[2]}) : xc;
  const Shape& s4 = x4.shape();
  Tensor y = run1(kernelId(kernel), {x4}, {s4[0], size[0], size[1], s4[3]}, x4.dtype(),
                  ResizeAttrs{alignCorners, halfPixelCenters});
  return xc.rank() == 3 ? reshape(y, {size[0], size[1], s[2]}) : y;
}

}  // namespace

Tensor resizeBilinear(const Tensor& x, std::array<int, 2> size, bool alignCorners, bool halfPixelCenters) {
  return resize("ResizeBilinear", "resizeBilinear", x, size, alignCorners, halfPixelCenters, false);
}

Tensor resizeNearestNeighbor(const Tensor& x, std::array<int, 2> size, bool alignCorners, bool halfPixelCenters) {
  return resize("ResizeNearestNeighbor", "resizeNearestNeighbor", x, size, alignCorners, halfPixelCenters, true);
}

namespace {

template <const char* Kernel>
std::vector<Tensor> resizeGrad(const GradArgs& g) {
  const Tensor& images = g.x();
  if (images.dtype() != DType::float32) return {Tensor()};
  return {run1(kernelId(Kernel), {g.dy(), images}, images.shape(), DType::float32, g.attr<ResizeAttrs>())};
}

constexpr char kBilinearGrad[] = "ResizeBilinearGrad";
constexpr char kNearestGrad[] = "ResizeNearestNeighborGrad";

detail::GradientRegistrar registrar{
    {"ResizeBilinear", resizeGrad<kBilinearGrad>},
    {"ResizeNearestNeighbor", resizeGrad<kNearestGrad>},
};

}  // namespace
}  // namespace strata::image
