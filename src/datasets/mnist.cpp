// MNIST: the decoder of the mnist10k.bin format (data/mnist/README.md; written by
// tools/data/make_mnist.mjs), the copy embedded in libstrata, and a seeded train/test split.
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <vector>

#include "strata/datasets.h"
#include "strata/ops.h"

// The embedded copy: cmake/mnist.cmake passes the absolute path of data/mnist/mnist10k.bin as
// STRATA_MNIST_BIN, and the assembler's .incbin copies the file into read-only data, so the
// library finds it whatever the working directory. The size is emitted by the assembler too.
#if defined(STRATA_MNIST_BIN) && defined(__ELF__)
asm(".section .rodata.strata_mnist,\"a\",%progbits\n"
    ".balign 16\n"
    ".globl strata_mnist_bin\n"
    ".hidden strata_mnist_bin\n"
    "strata_mnist_bin:\n"
    ".incbin \"" STRATA_MNIST_BIN "\"\n"
    "strata_mnist_bin_end:\n"
    ".balign 4\n"
    ".globl strata_mnist_bin_size\n"
    ".hidden strata_mnist_bin_size\n"
    "strata_mnist_bin_size:\n"
    ".long strata_mnist_bin_end - strata_mnist_bin\n"
    ".previous\n");
#define STRATA_MNIST_EMBEDDED 1
#elif defined(STRATA_MNIST_BIN) && defined(__APPLE__)
asm(".section __TEXT,__const\n"
    ".balign 16\n"
    ".globl _strata_mnist_bin\n"
    ".private_extern _strata_mnist_bin\n"
    "_strata_mnist_bin:\n"
    ".incbin \"" STRATA_MNIST_BIN "\"\n"
    "_strata_mnist_bin_end:\n"
    ".balign 4\n"
    ".globl _strata_mnist_bin_size\n"
    ".private_extern _strata_mnist_bin_size\n"
    "_strata_mnist_bin_size:\n"
    ".long _strata_mnist_bin_end - _strata_mnist_bin\n"
    ".text\n");
#define STRATA_MNIST_EMBEDDED 1
#endif

#ifdef STRATA_MNIST_EMBEDDED
// Hidden like the asm symbols, so the library reaches them directly, not through the GOT.
extern "C" __attribute__((visibility("hidden"))) const unsigned char strata_mnist_bin[];
extern "C" __attribute__((visibility("hidden"))) const uint32_t strata_mnist_bin_size;
#endif

namespace strata {
namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'M', 'N', 'I', 'S', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 32;

uint32_t readU32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// FNV-1a, 32-bit: the converter hashes the labels then every decoded pixel byte.
constexpr uint32_t kFnvPrime = 16777619u;
constexpr uint32_t kFnvBasis = 2166136261u;

MnistData decode(std::span<const uint8_t> b, const std::string& source) {
  auto fail = [&](const std::string& why) { return Error("MNIST file " + source + ": " + why); };
  if (b.size() < kHeaderBytes)
    throw fail("truncated: " + std::to_string(b.size()) + " bytes, shorter than the 32-byte header");
  if (std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) throw fail("not an mnist10k.bin file (no STRMNIST magic)");
  const uint32_t version = readU32(&b[8]), count = readU32(&b[12]), rows = readU32(&b[16]), cols = readU32(&b[20]),
                 payloadBytes = readU32(&b[24]), checksum = readU32(&b[28]);
  if (version != kVersion)
    throw fail("format version " + std::to_string(version) + ", this Strata reads version " + std::to_string(kVersion));
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096 || count > (1u << 24))
    throw fail("implausible header: " + std::to_string(count) + " images of " + std::to_string(rows) + "x" +
               std::to_string(cols));
  const uint64_t expected = kHeaderBytes + uint64_t(count) + payloadBytes;
  if (b.size() != expected)
    throw fail(std::string(b.size() < expected ? "truncated" : "trailing bytes") + ": " + std::to_string(b.size()) +
               " bytes, the header says " + std::to_string(expected));

  uint32_t h = kFnvBasis;
  std::vector<int32_t> labels(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t l = b[kHeaderBytes + i];
    if (l > 9) throw fail("label " + std::to_string(l) + " of image " + std::to_string(i) + " is not a digit 0..9");
    labels[i] = l;
    h = (h ^ l) * kFnvPrime;
  }

  // Zero runs (see README): a nonzero byte is one pixel, a 0 byte then r is r+1 zero pixels.
  float scale[256];
  for (int k = 0; k < 256; ++k) scale[k] = static_cast<float>(k) / 255.0f;
  const size_t total = size_t(count) * rows * cols;
  std::vector<float> pixels(total);
  size_t o = 0;
  const uint8_t* p = b.data() + kHeaderBytes + count;
  const uint8_t* end = b.data() + b.size();
  while (p < end) {
    const uint8_t v = *p++;
    size_t n = 1;
    if (v == 0) {
      if (p == end) throw fail("damaged pixel data: a zero run is cut off at the end");
      n = size_t(*p++) + 1;
    }
    if (o + n > total) throw fail("damaged pixel data: more than " + std::to_string(total) + " pixels");
    for (size_t k = 0; k < n; ++k) {
      pixels[o++] = scale[v];
      h = (h ^ v) * kFnvPrime;
    }
  }
  if (o != total)
    throw fail("damaged pixel data: " + std::to_string(o) + " pixels, the header says " + std::to_string(total));
  if (h != checksum) throw fail("damaged: the checksum of labels and pixels does not match the header");

  const int64_t n = count;
  return {tensor(std::span<const float>(pixels), {n, int64_t(rows), int64_t(cols), 1}),
          tensorInt(std::span<const int32_t>(labels), {n})};
}

// The samples at `order[from, to)` of images/labels (host copies) as a new MnistData.
MnistData gatherSamples(const std::vector<float>& images, const std::vector<int32_t>& labels, const Shape& imageShape,
                        const std::vector<size_t>& order, size_t from, size_t to) {
  const size_t per = imageShape.size() > 1 ? size_t(shapeSize(imageShape) / imageShape[0]) : 1;
  std::vector<float> x((to - from) * per);
  std::vector<int32_t> y(to - from);
  for (size_t i = from; i < to; ++i) {
    std::memcpy(&x[(i - from) * per], &images[order[i] * per], per * sizeof(float));
    y[i - from] = labels[order[i]];
  }
  Shape s = imageShape;
  s[0] = int64_t(to - from);
  return {tensor(std::span<const float>(x), s), tensorInt(std::span<const int32_t>(y), {s[0]})};
}

}  // namespace

MnistData loadMnist() {
#ifdef STRATA_MNIST_EMBEDDED
  return decode({strata_mnist_bin, strata_mnist_bin_size}, "<embedded mnist10k.bin>");
#else
  throw Error(
      "loadMnist(): this libstrata was built without the embedded MNIST copy (cmake/mnist.cmake); "
      "call loadMnist(path) with data/mnist/mnist10k.bin");
#endif
}

MnistData loadMnist(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("MNIST file " + path + ": cannot open it");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("MNIST file " + path + ": read error");
  return decode(bytes, path);
}

std::pair<MnistData, MnistData> mnistSplit(const MnistData& data, int trainCount, uint64_t seed) {
  const Shape& shape = data.images.shape();
  if (shape.empty() || data.labels.rank() != 1 || data.labels.shape()[0] != shape[0])
    throw Error("mnistSplit: images " + shapeString(shape) + " and labels " + shapeString(data.labels.shape()) +
                " do not hold the same number of samples");
  const int64_t n = shape[0];
  if (trainCount < 0 || trainCount > n)
    throw Error("mnistSplit: trainCount " + std::to_string(trainCount) + " is outside 0.." + std::to_string(n) +
                " (the number of samples)");
  // Fisher-Yates with our own bounded draw: std::shuffle and uniform_int_distribution differ
  // between standard libraries, mt19937_64's output does not.
  std::vector<size_t> order(static_cast<size_t>(n));
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);

  const auto images = data.images.dataSync<float>();
  const auto labels = data.labels.dataSync<int32_t>();
  return {gatherSamples(images, labels, shape, order, 0, size_t(trainCount)),
          gatherSamples(images, labels, shape, order, size_t(trainCount), size_t(n))};
}

}  // namespace strata
