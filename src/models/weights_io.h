// Reading and writing the weights of a TF.js weightsManifest: shards, dtypes, quantization.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strata/tensor.h"

namespace strata::layers {

struct NamedWeight {
  std::string name;
  Tensor value;
};

/// Fetches a shard's bytes by its manifest path; throws naming the path if missing.
using ShardReader = std::function<std::vector<uint8_t>(const std::string& path)>;

/// Decodes every weight of the manifest (float32, int32, and uint8/uint16/float16 quantized).
std::vector<NamedWeight> readWeights(const nlohmann::json& manifest, const ShardReader& read, const std::string& context);

/// Encodes weights as one group split into shards of at most `shardBytes`; returns the manifest
/// group and the shard contents by file name.
nlohmann::json encodeWeights(const std::vector<NamedWeight>& weights, size_t shardBytes,
                             std::vector<std::pair<std::string, std::vector<uint8_t>>>& shards);

/// IEEE 754 half -> float.
float halfToFloat(uint16_t h);

}  // namespace strata::layers
