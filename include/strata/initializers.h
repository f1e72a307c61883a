// Weight initializers (TF.js `tf.initializers.*`, Keras `keras.initializers.*`) as functions
// that return a new float32 tensor of the requested shape. Random ones take an optional seed:
// with it the values are the same on every run and backend (see strata/ops/random.h); without
// it a seed is drawn from the engine's generator (strata::setRandomSeed).
// Implemented in src/models/initializers.cpp.
//
//   namespace init = strata::initializers;
//   Tensor w = init::glorotUniform({784, 128}, /*seed=*/42);
//   Tensor k = init::fromConfig(R"({"class_name": "HeNormal", "config": {"seed": 7}})"_json, {3, 3, 16, 32});
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "strata/tensor.h"

namespace strata::initializers {

using Seed = std::optional<uint64_t>;

/// Fan-in and fan-out of a weight shape, as tfjs-layers' computeFans (channels last):
/// rank 2 [in, out]: (in, out); rank 3 to 5 (convolution kernels [...receptive field, in, out]):
/// (in * rf, out * rf) where rf is the product of all but the last two extents; any other rank:
/// (sqrt(size), sqrt(size)).
struct Fans {
  double fanIn = 0, fanOut = 0;
};
Fans computeFans(const Shape& shape);

/// Which fan divides the scale in varianceScaling.
enum class FanMode { fanIn, fanOut, fanAvg };
/// How varianceScaling draws. `normal` and `truncatedNormal` both draw a normal truncated at two
/// standard deviations with stddev sqrt(scale) (tfjs-layers' `normal`, without Keras's 0.8796
/// correction); `untruncatedNormal` draws a plain normal; `uniform` draws in [-limit, limit)
/// with limit sqrt(3 * scale).
enum class Distribution { normal, uniform, truncatedNormal, untruncatedNormal };

Tensor zeros(const Shape& shape);
Tensor ones(const Shape& shape);
Tensor constant(const Shape& shape, float value);
/// Uniform in [minval, maxval).
Tensor randomUniform(const Shape& shape, float minval = -0.05f, float maxval = 0.05f, Seed seed = std::nullopt);
Tensor randomNormal(const Shape& shape, float mean = 0.0f, float stddev = 0.05f, Seed seed = std::nullopt);
/// Normal values, those beyond two standard deviations redrawn.
Tensor truncatedNormal(const Shape& shape, float mean = 0.0f, float stddev = 0.05f, Seed seed = std::nullopt);

/// scale' = scale / max(1, fan) with fan chosen by `mode` (fanAvg: (fanIn + fanOut) / 2), then
/// drawn as `distribution` says. Throws strata::Error if scale is negative.
Tensor varianceScaling(const Shape& shape, float scale = 1.0f, FanMode mode = FanMode::fanIn,
                       Distribution distribution = Distribution::normal, Seed seed = std::nullopt);
/// varianceScaling(1, fanAvg, uniform): limit sqrt(6 / (fanIn + fanOut)).
Tensor glorotUniform(const Shape& shape, Seed seed = std::nullopt);
/// varianceScaling(1, fanAvg, normal).
Tensor glorotNormal(const Shape& shape, Seed seed = std::nullopt);
/// varianceScaling(2, fanIn, uniform).
Tensor heUniform(const Shape& shape, Seed seed = std::nullopt);
/// varianceScaling(2, fanIn, normal).
Tensor heNormal(const Shape& shape, Seed seed = std::nullopt);
/// varianceScaling(1, fanIn, uniform).
Tensor leCunUniform(const Shape& shape, Seed seed = std::nullopt);
/// varianceScaling(1, fanIn, normal).
Tensor leCunNormal(const Shape& shape, Seed seed = std::nullopt);

/// gain * Q, where Q comes from the QR factorization of a standard normal matrix of shape
/// [max(r, c), min(r, c)] (r = product of all but the last extent, c = the last), with its
/// columns' signs chosen so that R has a positive diagonal, transposed when r < c, and reshaped
/// to `shape`. So the flattened [r, c] result has orthonormal columns (r >= c) or rows (r < c),
/// times gain. Rank must be at least 2.
Tensor orthogonal(const Shape& shape, float gain = 1.0f, Seed seed = std::nullopt);
/// gain * I for a square 2-D shape; throws strata::Error otherwise.
Tensor identity(const Shape& shape, float gain = 1.0f);

/// The initializer a Keras/TF.js config names, applied to `shape`. Accepts
///   {"class_name": "GlorotUniform", "config": {"seed": null}}            (Keras 2 / TF.js)
///   {"module": "keras.initializers", "class_name": "GlorotUniform",
///    "config": {"seed": null}, "registered_name": null}                  (Keras 3)
///   "glorot_uniform", "glorotUniform", "GlorotUniform"                   (a bare name)
/// Class names match ignoring case and underscores, so Keras's snake_case aliases
/// ("he_normal", "lecun_uniform", "random_normal"), TF.js's ("leCunNormal") and Keras 3's
/// ("LecunNormal", "OrthogonalInitializer", "IdentityInitializer") all resolve. Config keys are
/// Keras's snake_case (camelCase is accepted too). The config's seed wins over `defaultSeed`.
/// Deviation from tfjs-layers: an explicit 0 for minval/maxval/mean/stddev is kept (TF.js
/// replaces it by the default). Errors (unknown class, bad value) are strata::Error prefixed by
/// `context` (e.g. "layer 'dense_1' (Dense): config.kernel_initializer").
Tensor fromConfig(const nlohmann::json& initializerConfig, const Shape& shape, Seed defaultSeed = std::nullopt,
                  const std::string& context = "initializer");

}  // namespace strata::initializers
