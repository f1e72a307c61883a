// Storage quantization (strata::saveQuantized): the model saved as LayersModel::save does, with
// its float32 weights in tfjs-converter's uint8/uint16 affine or float16 form. The encoding
// lives with the rest of the weight I/O (src/models/weights_io.cpp).
#include "models/weights_io.h"
#include "strata/optimize/quantize.h"

namespace strata {

void saveQuantized(const LayersModel& model, const std::string& dir, const QuantizedSaveOptions& options) {
  static const std::pair<const char*, layers::WeightStorage> kDTypes[] = {
      {"uint8", layers::WeightStorage::uint8},
      {"uint16", layers::WeightStorage::uint16},
      {"float16", layers::WeightStorage::float16},
  };
  for (const auto& [name, storage] : kDTypes)
    if (options.dtype == name) return layers::saveModel(model, dir, storage);
  throw Error("saveQuantized: unknown dtype '" + options.dtype + "' (expected uint8, uint16 or float16)");
}

AffineQuantization affineQuantization(double min, double max, int levels) {
  if (levels != 255 && levels != 65535)
    throw Error("affineQuantization: levels must be 255 (uint8) or 65535 (uint16), got " + std::to_string(levels));
  const layers::AffineRange r = layers::affineRange(min, max, levels);
  return {r.min, r.scale};
}

}  // namespace strata
