// Quantization (docs/quantization.md): smaller weights in the standard TF.js format, and int8
// compute with post-training static quantization. Implemented in src/optimize/quantize_storage.cpp
// (storage), src/optimize/quantize_int8.cpp (int8 models) and src/optimize/int8_layers.cpp (the
// int8 layer classes).
//
//   // storage: weights as tfjs-converter's --quantize_uint8 writes them; loads in TF.js and here
//   st::saveQuantized(model, "small/", {.dtype = "uint8"});
//
//   // int8 compute: calibrate on representative inputs, then run int8 kernels
//   auto q = st::quantizeInt8(model, {calibrationImages});
//   q.predict(x);                          // int8 Conv2D/DepthwiseConv2D/Dense, float elsewhere
//   q.save("int8/");                       // loads with st::loadLayersModel (not in TF.js)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/models.h"

namespace strata {

// ---- storage quantization (tfjs-converter compatible) ------------------------------------------

struct QuantizedSaveOptions {
  /// "uint8" or "uint16": per-tensor affine, real = q * scale + min (min nudged so that 0 is
  /// exact), as tfjs-converter's quantize_weights computes it; "float16": IEEE half, rounded to
  /// nearest even. Only float32 weights are quantized; others are written as they are.
  std::string dtype = "uint8";
};

/// Writes DIR/model.json and weight shards as LayersModel::save does, with every float32 weight
/// stored quantized (the weightsManifest entry keeps dtype float32 and gains a `quantization`
/// {dtype, min, scale} / {dtype: float16} field). TF.js's loadLayersModel and
/// strata::loadLayersModel read it (both dequantize to float32 at load). Throws strata::Error
/// naming an unknown dtype or an unwritable directory; files are written under temporary names
/// and renamed, so nothing is left behind on failure.
void saveQuantized(const LayersModel& model, const std::string& dir, const QuantizedSaveOptions& options = {});

/// The affine parameters for values in [min, max] stored as uint8 (levels = 255) or uint16
/// (levels = 65535): scale = (max - min) / levels and, when min <= 0 <= max, min nudged to
/// -round(-min / scale) * scale so that zero is a level (tfjs-converter's
/// _get_affine_quantization_range); min == max gives scale 1. Computed in double.
struct AffineQuantization {
  double min = 0;
  double scale = 1;
};
AffineQuantization affineQuantization(double min, double max, int levels);

// ---- int8 compute (post-training static quantization) ------------------------------------------

struct Int8Options {
  /// Weight precision of Conv2D and Dense: int8 values in [-(2^(bits-1) - 1), 2^(bits-1) - 1],
  /// symmetric, one scale per output channel. 7 (the default) keeps oneDNN's int8 kernels exact
  /// and fast on x86 CPUs without VNNI (their u8 x s8 pair sums saturate at 16 bits otherwise);
  /// 8 uses the full range (cpu then runs those layers on the reference kernels unless the CPU
  /// has VNNI: correct, but slow).
  int weightBits = 7;
  /// Weight precision of DepthwiseConv2D, whose kernels are exact with 8 bits everywhere; its
  /// few weights per channel (9 for 3x3) make it the most sensitive to rounding.
  int depthwiseWeightBits = 8;
  /// Calibration inputs run through the float model in batches of this size.
  int batchSize = 32;
};

/// What quantizeInt8 did, layer by layer.
struct Int8Report {
  std::vector<std::string> quantized;  ///< layers now computed in int8 (their original names)
  std::vector<std::string> folded;     ///< layers folded into them (BatchNormalization, ReLU, ZeroPadding2D)
  std::vector<std::string> skipped;    ///< "name: reason" for Conv2D/DepthwiseConv2D/Dense left in float32
  int64_t calibrationSamples = 0;
};

/// Post-training static quantization. Runs `calibration` (one tensor per model input, batch
/// first, like predict's inputs) through the float model, recording the min/max of every tensor
/// entering or leaving a quantizable layer, then returns a new model in which
///   - Conv2D, DepthwiseConv2D and Dense layers (with a following BatchNormalization folded in,
///     a following ReLU/ReLU6 fused, a preceding ZeroPadding2D absorbed as explicit padding)
///     become QuantizedConv2D / QuantizedDepthwiseConv2D / QuantizedDense: per-output-channel
///     symmetric int8 weights, uint8 activations with a per-tensor scale and zero point from
///     the calibration range (always including 0), int32 accumulation and the requantization
///     (scales, bias, activation) fused into one kernel;
///   - a quantized layer whose output feeds only quantized layers hands it on as uint8;
///   - everything else stays float32 and runs as before.
/// The result saves and loads like any model (the scheme is in each layer's config and in
/// model.json's userDefinedMetadata; see docs/quantization.md); TF.js cannot load it.
/// The source model is not changed. Throws strata::Error if the calibration tensors do not
/// match the model's inputs (count, rank, shapes, dtype) or are empty, or a bit width is not in
/// [2, 8].
LayersModel quantizeInt8(const LayersModel& model, const std::vector<Tensor>& calibration,
                         const Int8Options& options = {}, Int8Report* report = nullptr);

/// True when `model` has int8 layers (made by quantizeInt8 or loaded from its saved form).
bool isInt8Quantized(const LayersModel& model);

}  // namespace strata
