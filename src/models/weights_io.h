// Reading and writing the weights of a TF.js weightsManifest: shards, dtypes, quantization.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strata/tensor.h"

namespace strata {
class LayersModel;
}

namespace strata::layers {

struct NamedWeight {
  std::string name;
  Tensor value;
};

/// Fetches a shard's bytes by its manifest path; throws naming the path if missing.
using ShardReader = std::function<std::vector<uint8_t>(const std::string& path)>;

/// Decodes every weight of the manifest (float32, int32, and uint8/uint16/float16 quantized).
std::vector<NamedWeight> readWeights(const nlohmann::json& manifest, const ShardReader& read, const std::string& context);

/// How float32 weights are stored: as they are, or quantized as tfjs-converter does it
/// (uint8/uint16 per-tensor affine with a `quantization` {dtype, min, scale} entry, or float16).
enum class WeightStorage { float32, uint8, uint16, float16 };

/// Encodes weights as one group split into shards of at most `shardBytes`; returns the manifest
/// group and the shard contents by file name. Only float32 weights are quantized; a float32
/// weight with a NaN or infinite value cannot be and throws naming it.
nlohmann::json encodeWeights(const std::vector<NamedWeight>& weights, size_t shardBytes,
                             std::vector<std::pair<std::string, std::vector<uint8_t>>>& shards,
                             WeightStorage storage = WeightStorage::float32);

/// tfjs-converter's affine range for values in [min, max] and `levels` (255 or 65535): scale =
/// (max - min) / levels and min nudged to -round(-min / scale) * scale when 0 is in range.
/// min == max gives scale 1.
struct AffineRange {
  double min = 0, scale = 1;
};
AffineRange affineRange(double min, double max, int levels);

/// IEEE 754 half -> float.
float halfToFloat(uint16_t h);
/// float -> IEEE 754 half, rounded to nearest even (overflow -> infinity, NaN stays NaN).
uint16_t floatToHalf(float f);

/// LayersModel::save, with the float32 weights stored as `storage` (strata::saveQuantized).
void saveModel(const LayersModel& model, const std::string& dir, WeightStorage storage);

}  // namespace strata::layers
