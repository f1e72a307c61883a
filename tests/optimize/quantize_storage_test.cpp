// Storage quantization (strata::saveQuantized). Checked against mathematics: tfjs-converter's
// affine range makes zero a level and moves min by at most half a step, every float32 weight
// reads back within half a quantization step (scale / 2, from the manifest's min/scale, which
// must be those of affineQuantization on the weight's own min and max), float16 within half
// an ulp of a half. Also: errors leave nothing behind, and quantized copies of TF.js fixture
// models are written for tests/conformance/check_quantized.mjs (TF.js must load them and
// predict what Strata predicts).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path tempDir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("strata_qstore_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

st::LayersModel smallModel() {
  st::setRandomSeed(21);
  auto m = st::sequential({.name = "store"});
  m.add(st::layers::conv2d({.filters = 5, .kernelSize = 3, .activation = "relu", .inputShape = {6, 6, 2}, .name = "c"}));
  m.add(st::layers::batchNormalization({.name = "bn"}));
  m.add(st::layers::flatten({.name = "f"}));
  m.add(st::layers::dense({.units = 4, .name = "d"}));
  uint64_t seed = 3;
  for (auto& l : m.layers())
    for (auto& w : l->ownWeights())
      w.value.assign(w.name == "moving_variance" ? st::randomUniform(w.value.shape(), 0.5f, 2.f, st::DType::float32, seed++)
                                                 : st::randomNormal(w.value.shape(), 0.1f, 0.4f, seed++));
  return m;
}

Json readJson(const fs::path& p) {
  std::ifstream in(p);
  return Json::parse(in);
}

TEST(AffineQuantization, ZeroIsALevelAndMinMovesLessThanHalfAStep) {
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> u(-10, 10);
  for (int i = 0; i < 200; ++i) {
    double a = u(gen), b = u(gen);
    if (i % 7 == 0) a = std::abs(a), b = std::abs(b) + a;  // all positive: no nudging
    const double mn = std::min(a, b), mx = std::max(a, b);
    for (int levels : {255, 65535}) {
      auto q = st::affineQuantization(mn, mx, levels);
      EXPECT_DOUBLE_EQ(q.scale, (mx - mn) / levels);
      if (mn <= 0 && 0 <= mx) {
        const double zero = -q.min / q.scale;
        EXPECT_NEAR(zero, std::nearbyint(zero), 1e-6) << "zero is not a level for [" << mn << ", " << mx << "]";
        EXPECT_LE(std::abs(q.min - mn), q.scale / 2 * (1 + 1e-9));
      } else {
        EXPECT_EQ(q.min, mn);
      }
    }
  }
  auto flat = st::affineQuantization(0.25, 0.25, 255);
  EXPECT_EQ(flat.scale, 1.0);
  EXPECT_EQ(flat.min, 0.25);
  EXPECT_THROW(st::affineQuantization(0, 1, 100), st::Error);
}

TEST(StorageQuantization, AffineWeightsReadBackWithinHalfAStep) {
  st::LayersModel m = smallModel();
  for (const char* dtype : {"uint8", "uint16"}) {
    const int levels = std::string(dtype) == "uint8" ? 255 : 65535;
    fs::path dir = tempDir(dtype);
    st::saveQuantized(m, dir.string(), {.dtype = dtype});
    const Json j = readJson(dir / "model.json");
    st::LayersModel r = st::loadLayersModel(dir.string());
    int checked = 0;
    for (const auto& spec : j["weightsManifest"][0]["weights"]) {
      const std::string name = spec["name"];
      const std::string layer = name.substr(0, name.find('/')), wname = name.substr(name.find('/') + 1);
      EXPECT_EQ(spec["dtype"], "float32") << name;
      ASSERT_TRUE(spec.contains("quantization")) << name;
      EXPECT_EQ(spec["quantization"]["dtype"], dtype) << name;
      std::vector<float> orig, back;
      for (auto& w : m.getLayer(layer).ownWeights())
        if (w.name == wname) orig = w.value.dataSync<float>();
      for (auto& w : r.getLayer(layer).ownWeights())
        if (w.name == wname) back = w.value.dataSync<float>();
      ASSERT_EQ(orig.size(), back.size()) << name;
      const auto [mn, mx] = std::minmax_element(orig.begin(), orig.end());
      const auto want = st::affineQuantization(*mn, *mx, levels);
      const double scale = spec["quantization"]["scale"], min = spec["quantization"]["min"];
      EXPECT_DOUBLE_EQ(scale, want.scale) << name;
      EXPECT_DOUBLE_EQ(min, want.min) << name;
      for (size_t i = 0; i < orig.size(); ++i)
        EXPECT_LE(std::abs(double(orig[i]) - back[i]), scale / 2 * (1 + 1e-9) + 1e-7 * std::abs(orig[i]))
            << name << "[" << i << "] (" << dtype << ")";
      ++checked;
    }
    EXPECT_EQ(checked, 8) << "conv kernel+bias, 4 BN weights, dense kernel+bias";
    fs::remove_all(dir);
  }
}

TEST(StorageQuantization, Float16WithinHalfAnUlp) {
  st::LayersModel m = smallModel();
  fs::path dir = tempDir("float16");
  st::saveQuantized(m, dir.string(), {.dtype = "float16"});
  const Json j = readJson(dir / "model.json");
  for (const auto& spec : j["weightsManifest"][0]["weights"]) EXPECT_EQ(spec["quantization"], Json({{"dtype", "float16"}}));
  st::LayersModel r = st::loadLayersModel(dir.string());
  auto a = m.getWeights(), b = r.getWeights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    auto x = a[k].dataSync<float>(), y = b[k].dataSync<float>();
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_LE(std::abs(x[i] - y[i]), std::ldexp(std::abs(x[i]), -11) + std::ldexp(1.0, -25)) << "weight " << k << "[" << i << "]";
  }
  // Exact halves stay exact; ties round to even; beyond the range is infinity.
  std::vector<float> special{1.0f, -2.5f, 65504.f, 1.f + std::ldexp(1.f, -11), 1.f + 3 * std::ldexp(1.f, -11), 1e6f, std::ldexp(1.f, -24)};
  auto model = st::sequential({.name = "halves"});
  model.add(st::layers::dense({.units = 7, .useBias = false, .inputShape = {1}, .name = "h"}));
  model.getLayer("h").ownWeights()[0].value.assign(st::tensor(special, {1, 7}));
  fs::path d2 = tempDir("float16_special");
  st::saveQuantized(model, d2.string(), {.dtype = "float16"});
  auto got = st::loadLayersModel(d2.string()).getWeights()[0].dataSync<float>();
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_EQ(got[1], -2.5f);
  EXPECT_EQ(got[2], 65504.f);
  EXPECT_EQ(got[3], 1.0f);                              // halfway between 1 and 1 + 2^-10: even
  EXPECT_EQ(got[4], 1.f + 2 * std::ldexp(1.f, -10));    // halfway, rounds up to the even one
  EXPECT_TRUE(std::isinf(got[5]));
  EXPECT_EQ(got[6], std::ldexp(1.f, -24));              // the smallest subnormal
  fs::remove_all(dir);
  fs::remove_all(d2);
}

TEST(StorageQuantization, ErrorsLeaveNothingBehind) {
  st::LayersModel m = smallModel();
  fs::path dir = tempDir("errors");
  try {
    st::saveQuantized(m, dir.string(), {.dtype = "int4"});
    ADD_FAILURE() << "unknown dtype accepted";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'int4'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir));
  // Under a regular file: the directory cannot be made.
  fs::create_directories(dir);
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(st::saveQuantized(m, (dir / "file" / "out").string(), {.dtype = "uint8"}), st::Error);
  EXPECT_FALSE(fs::exists(dir / "file" / "out"));
  // A NaN weight cannot be quantized: an error naming it, and no directory.
  m.getLayer("d").ownWeights()[1].value.assign(st::tensor({NAN, 1.f, 2.f, 3.f}, {4}));
  try {
    st::saveQuantized(m, (dir / "nan").string(), {.dtype = "uint8"});
    ADD_FAILURE() << "NaN quantized";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("d/bias"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "nan"));
  fs::remove_all(dir);
}

// For check_quantized.mjs: TF.js fixture models re-saved quantized by Strata, with Strata's
// predictions of the quantized model on the fixture inputs.
TEST(StorageQuantization, WritesQuantizedFixtureModelsForTfjs) {
  const char* env = std::getenv("STRATA_FIXTURES");
  fs::path root = env ? env : "fixtures";
  if (!fs::exists(root / "models" / "index.json")) GTEST_SKIP() << "model fixtures not generated under " << root;
  int written = 0;
  for (const char* name : {"mobilenetv2_block", "conv2d_stack", "depthwise_conv2d", "core_dense_bias_nobias", "core_embedding_flatten"}) {
    fs::path src = root / "models" / name;
    if (!fs::exists(src / "model.json")) {
      ADD_FAILURE() << "fixture " << name << " missing";
      continue;
    }
    st::LayersModel m = st::loadLayersModel((src / "model.json").string());
    std::vector<st::Tensor> inputs;
    for (int i = 0; fs::exists(src / ("input_" + std::to_string(i) + ".npy")); ++i)
      inputs.push_back(st::loadNpy((src / ("input_" + std::to_string(i) + ".npy")).string()));
    for (const char* dtype : {"uint8", "uint16", "float16"}) {
      fs::path out = root / "strata_quantized" / (std::string(name) + "_" + dtype);
      fs::remove_all(out);
      st::saveQuantized(m, out.string(), {.dtype = dtype});
      auto outs = st::loadLayersModel(out.string()).predict(inputs);
      for (size_t i = 0; i < outs.size(); ++i) st::saveNpy((out / ("output_" + std::to_string(i) + ".npy")).string(), outs[i]);
      std::ofstream(out / "case.json") << Json({{"source", name}, {"dtype", dtype}}).dump();
      ++written;
    }
  }
  EXPECT_EQ(written, 15);
}

}  // namespace
