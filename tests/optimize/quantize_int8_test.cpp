// Int8 models (strata::quantizeInt8). The main checks are mathematical: with weights quantized
// per channel to steps s (error <= s/2 each) and inputs to steps sx (error <= sx/2 inside the
// calibrated range), a product's error is bounded by sum |x| s/2 + sum (sx/2) |w_q|, and ReLUs
// do not increase it; the int8 model must stay within that bound of the float model, layer
// after layer (a uint8 hand-on adds one output step: a backend may round either way). Also the
// rewrite (BatchNormalization/ReLU folded, ZeroPadding2D absorbed), save/load, errors, memory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

struct BackendGuard {
  std::string saved = st::getBackend();
  explicit BackendGuard(const std::string& name) { st::setBackend(name); }
  ~BackendGuard() { st::setBackend(saved); }
};

std::vector<std::string> backends() {
  std::vector<std::string> out;
  for (const auto& s : st::backendStatus())
    if (s.available && (s.name == "reference" || s.name == "cpu")) out.push_back(s.name);
  return out;
}

void randomize(const st::LayersModel& m, uint64_t seed) {
  for (auto& layer : m.layers())
    for (auto& w : layer->ownWeights())
      w.value.assign(w.name == "moving_variance" ? st::randomUniform(w.value.shape(), 0.5f, 1.5f, st::DType::float32, seed++)
                                                 : st::randomNormal(w.value.shape(), 0, 0.5f, seed++));
}

st::Tensor weightOf(const st::LayersModel& m, const std::string& layer, const std::string& name) {
  for (auto& w : m.getLayer(layer).ownWeights())
    if (w.name == name) return w.value;
  throw st::Error("no weight " + layer + "/" + name);
}

const Json& quantization(const st::LayersModel& m, const std::string& layer) { return m.getLayer(layer).config()["quantization"]; }

// The real-valued int8 kernel: int8 values times their channel's scale.
st::Tensor dequantizedKernel(const st::LayersModel& q, const std::string& layer, const char* name = "kernel") {
  return st::mul(st::dequantize(weightOf(q, layer, name), 1.f, 0), weightOf(q, layer, "kernel_scale"));
}

fs::path tempDir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("strata_int8_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

// Dense(16, relu) -> Dense(4): the first hands its uint8 output on to the second.
TEST(Int8Model, DenseChainStaysWithinTheQuantizationBound) {
  st::setRandomSeed(3);
  auto m = st::sequential({.name = "mlp"});
  m.add(st::layers::dense({.units = 16, .activation = "relu", .inputShape = {6}, .name = "d1"}));
  m.add(st::layers::dense({.units = 4, .name = "d2"}));
  randomize(m, 10);
  st::Tensor x = st::randomUniform({64, 6}, -1, 1, st::DType::float32, 20);
  st::Int8Report report;
  st::LayersModel q = st::quantizeInt8(m, {x}, {}, &report);
  EXPECT_EQ(report.quantized, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(report.calibrationSamples, 64);
  EXPECT_EQ(q.getLayer("d1").className(), "QuantizedDense");
  ASSERT_TRUE(quantization(q, "d1").contains("output")) << "d1 feeds only d2: its output should stay uint8";
  EXPECT_FALSE(quantization(q, "d2").contains("output")) << "the model output is float32";
  EXPECT_EQ(quantization(q, "d1")["output"], quantization(q, "d2")["input"]);
  EXPECT_TRUE(st::isInt8Quantized(q));
  EXPECT_FALSE(st::isInt8Quantized(m));

  const float sx = quantization(q, "d1")["input"]["scale"].get<float>();
  const float so = quantization(q, "d1")["output"]["scale"].get<float>();
  for (const auto& b : backends()) {
    BackendGuard g(b);
    st::tidy([&] {
      st::Tensor w1 = dequantizedKernel(q, "d1"), w2 = dequantizedKernel(q, "d2");
      st::Tensor s1 = weightOf(q, "d1", "kernel_scale"), s2 = weightOf(q, "d2", "kernel_scale");
      st::Tensor y1 = m.getLayer("d1").call({x}, {})[0];
      st::Tensor e1 = st::add(st::mul(st::matMul(st::abs(x), st::ones({6, 16})), st::div(s1, st::scalar(2.f))),
                              st::mul(st::scalar(sx / 2), st::matMul(st::ones({64, 6}), st::abs(w1))));
      st::Tensor e2 = st::add(st::mul(st::matMul(st::abs(y1), st::ones({16, 4})), st::div(s2, st::scalar(2.f))),
                              st::matMul(st::add(e1, st::scalar(so)), st::abs(w2)));
      st::Tensor err = st::abs(st::sub(q.predict(x), m.predict(x)));
      st::Tensor excess = st::sub(err, st::add(e2, st::scalar(1e-4f)));
      EXPECT_LE(st::max(excess).item<float>(), 0.f) << b << ": the int8 model leaves the bound";
      EXPECT_GT(st::max(err).item<float>(), 0.f) << b << ": no quantization error at all is suspicious";
    });
  }
}

// Dense on [batch, steps, features] applies to the last axis; so does its int8 twin.
TEST(Int8Model, DenseOnSequencesStaysWithinTheBound) {
  st::setRandomSeed(4);
  auto m = st::sequential({.name = "seq"});
  m.add(st::layers::dense({.units = 4, .inputShape = {3, 5}, .name = "d"}));
  randomize(m, 70);
  st::Tensor x = st::randomUniform({8, 3, 5}, -2, 1, st::DType::float32, 80);
  st::LayersModel q = st::quantizeInt8(m, {x});
  const float sx = quantization(q, "d")["input"]["scale"].get<float>();
  st::tidy([&] {
    st::Tensor y = q.predict(x);
    ASSERT_EQ(y.shape(), (st::Shape{8, 3, 4}));
    st::Tensor x2 = st::reshape(x, {24, 5});
    st::Tensor bound = st::add(st::mul(st::matMul(st::abs(x2), st::ones({5, 4})), st::div(weightOf(q, "d", "kernel_scale"), st::scalar(2.f))),
                               st::mul(st::scalar(sx / 2), st::matMul(st::ones({24, 5}), st::abs(dequantizedKernel(q, "d")))));
    st::Tensor err = st::abs(st::sub(st::reshape(y, {24, 4}), st::reshape(m.predict(x), {24, 4})));
    EXPECT_LE(st::max(st::sub(err, st::add(bound, st::scalar(1e-4f)))).item<float>(), 0.f);
  });
}

// ZeroPadding2D -> Conv2D (stride 2, no bias) -> BatchNormalization -> ReLU(6) becomes one
// QuantizedConv2D with explicit padding, folded bias and fused ReLU6; its output stays within
// the single-layer bound for unsigned (zero point 0) and signed (zero point ~128) inputs.
TEST(Int8Model, ConvChainFoldsAndStaysWithinTheBound) {
  for (float lo : {0.f, -1.f}) {
    st::setRandomSeed(5);
    auto m = st::sequential({.name = "convnet"});
    m.add(st::layers::zeroPadding2d({.padding = {{0, 1}, {0, 1}}, .inputShape = {9, 9, 3}, .name = "pad"}));
    m.add(st::layers::conv2d({.filters = 8, .kernelSize = 3, .strides = 2, .useBias = false, .name = "conv"}));
    m.add(st::layers::batchNormalization({.name = "bn"}));
    m.add(st::layers::reLU({.maxValue = 6.0, .name = "relu6"}));
    randomize(m, 30);
    st::Tensor x = st::randomUniform({4, 9, 9, 3}, lo, 1, st::DType::float32, 40);
    st::Int8Report report;
    st::LayersModel q = st::quantizeInt8(m, {x}, {}, &report);
    EXPECT_EQ(report.quantized, (std::vector<std::string>{"conv"}));
    EXPECT_EQ(report.folded, (std::vector<std::string>{"pad", "bn", "relu6"}));
    ASSERT_EQ(q.layers().size(), 2u);  // the input layer and the int8 convolution
    const Json& cfg = q.getLayer("conv").config();
    EXPECT_EQ(cfg["padding"], Json::parse("[[0,1],[0,1]]"));
    EXPECT_EQ(cfg["activation"], "relu6");
    const Json& in = quantization(q, "conv")["input"];
    EXPECT_EQ(in["zero_point"].get<int>() == 0, lo == 0.f) << in.dump();
    const float sx = in["scale"].get<float>();
    for (const auto& b : backends()) {
      BackendGuard g(b);
      st::tidy([&] {
        auto padded = [](const st::Tensor& t) { return st::pad(t, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}); };
        st::Conv2DOptions o{{2, 2}, "valid", {1, 1}};
        st::Tensor s = weightOf(q, "conv", "kernel_scale");
        st::Tensor bound = st::add(st::mul(st::conv2d(padded(st::abs(x)), st::ones({3, 3, 3, 8}), o), st::div(s, st::scalar(2.f))),
                                   st::mul(st::scalar(sx / 2), st::conv2d(padded(st::onesLike(x)), st::abs(dequantizedKernel(q, "conv")), o)));
        st::Tensor yf = m.predict(x);
        st::Tensor err = st::abs(st::sub(q.predict(x), yf));
        // float slack: the float model computes BatchNormalization unfolded
        st::Tensor excess = st::sub(err, st::add(bound, st::add(st::scalar(1e-4f), st::mul(st::abs(yf), st::scalar(1e-5f)))));
        EXPECT_LE(st::max(excess).item<float>(), 0.f) << b << " lo=" << lo;
      });
    }
  }
}

// The functional MobileNetV2 block of the TF.js fixtures (ZeroPadding2D, Conv2D, BN, ReLU6,
// DepthwiseConv2D, Add, GlobalAveragePooling2D, Dense softmax): the rewrite keeps the graph.
TEST(Int8Model, MobileNetV2BlockFixtureRewrite) {
  const char* dir = std::getenv("STRATA_FIXTURES");
  fs::path path = fs::path(dir ? dir : "fixtures") / "models" / "mobilenetv2_block";
  if (!fs::exists(path / "model.json")) GTEST_SKIP() << "model fixtures not generated at " << path;
  st::LayersModel m = st::loadLayersModel((path / "model.json").string());
  st::Tensor x = st::loadNpy((path / "input_0.npy").string());
  st::Int8Report report;
  st::LayersModel q = st::quantizeInt8(m, {x}, {}, &report);
  EXPECT_EQ(report.quantized.size(), 4u);  // conv, depthwise, pointwise conv, dense
  EXPECT_EQ(report.folded.size(), 6u);     // padding, 3 BN, 2 ReLU
  for (const auto& l : q.layers()) {
    EXPECT_NE(l->className(), "BatchNormalization");
    EXPECT_NE(l->className(), "ZeroPadding2D");
    EXPECT_NE(l->className(), "ReLU");
  }
  // The first conv's output feeds the depthwise conv and the Add: float32; the depthwise
  // conv's feeds only the pointwise conv: uint8.
  int handedOn = 0;
  for (const auto& name : report.quantized) handedOn += quantization(q, name).contains("output");
  EXPECT_EQ(handedOn, 1);
  std::vector<std::vector<float>> outs;
  for (const auto& b : backends()) {
    BackendGuard g(b);
    outs.push_back(q.predict(x).dataSync<float>());
    auto want = m.predict(x).dataSync<float>();
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(outs.back()[i], want[i], 0.05) << b << " probability " << i;
  }
  for (size_t k = 1; k < outs.size(); ++k)
    for (size_t i = 0; i < outs[0].size(); ++i) EXPECT_NEAR(outs[k][i], outs[0][i], 0.02) << "backends disagree";
}

TEST(Int8Model, SavesAndLoadsIdentically) {
  st::setRandomSeed(7);
  auto m = st::sequential({.name = "small"});
  m.add(st::layers::conv2d({.filters = 4, .kernelSize = 3, .padding = "same", .activation = "relu", .inputShape = {6, 6, 2}, .name = "c"}));
  m.add(st::layers::flatten({.name = "f"}));
  m.add(st::layers::dense({.units = 3, .activation = "softmax", .name = "d"}));
  randomize(m, 50);
  st::Tensor x = st::randomUniform({8, 6, 6, 2}, 0, 1, st::DType::float32, 60);
  st::LayersModel q = st::quantizeInt8(m, {x}, {.weightBits = 8});
  fs::path dir = tempDir("save");
  q.save(dir.string());
  std::ifstream in(dir / "model.json");
  Json j = Json::parse(in);
  EXPECT_EQ(j["userDefinedMetadata"]["strata_quantization"]["scheme"], "int8-static");
  EXPECT_EQ(j["userDefinedMetadata"]["strata_quantization"]["weight_bits"], 8);
  int int8Weights = 0;
  for (const auto& w : j["weightsManifest"][0]["weights"]) int8Weights += w["dtype"] == "int8";
  EXPECT_EQ(int8Weights, 2);
  st::LayersModel r = st::loadLayersModel(dir.string());
  EXPECT_TRUE(st::isInt8Quantized(r));
  EXPECT_EQ(r.getLayer("d").className(), "QuantizedDense");
  for (const auto& b : backends()) {
    BackendGuard g(b);
    EXPECT_EQ(r.predict(x).dataSync<float>(), q.predict(x).dataSync<float>()) << b;
  }
  // Storage quantization of an int8 model leaves the int8 kernels as they are.
  fs::path small = tempDir("save_uint8");
  st::saveQuantized(q, small.string(), {.dtype = "uint8"});
  std::ifstream in2(small / "model.json");
  const Json smallJson = Json::parse(in2);  // named: a range-for over a temporary's member dangles
  for (const auto& w : smallJson["weightsManifest"][0]["weights"])
    EXPECT_EQ(w.contains("quantization"), w["dtype"] == "float32") << w.dump();
  EXPECT_TRUE(st::isInt8Quantized(st::loadLayersModel(small.string())));
  // A saved int8 layer without its quantization parameters is an error naming the layer.
  j["modelTopology"]["config"]["layers"][0]["config"].erase("quantization");
  std::ofstream(dir / "model.json") << j.dump();
  try {
    st::loadLayersModel(dir.string());
    ADD_FAILURE() << "loaded an int8 layer without quantization parameters";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("quantization"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
  fs::remove_all(small);
}

TEST(Int8Model, BadCalibrationAndOptionsAreClearErrors) {
  st::setRandomSeed(9);
  auto m = st::sequential({.name = "tiny"});
  m.add(st::layers::dense({.units = 3, .inputShape = {5}, .name = "d"}));
  auto expectError = [&](const std::vector<st::Tensor>& xs, const st::Int8Options& o, const std::string& text) {
    try {
      st::quantizeInt8(m, xs, o);
      ADD_FAILURE() << "no error; expected one mentioning '" << text << "'";
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  st::tidy([&] {
    expectError({st::ones({4, 6})}, {}, "[4,6]");
    expectError({st::ones({4, 6})}, {}, "[null,5]");
    expectError({st::ones({4, 5, 1})}, {}, "shape");
    expectError({st::ones({0, 5})}, {}, "no samples");
    expectError({st::ones({4, 5}), st::ones({4, 5})}, {}, "1 input(s), but 2");
    expectError({st::ones({4, 5})}, {.weightBits = 9}, "weightBits");
    expectError({st::ones({4, 5})}, {.weightBits = 1}, "weightBits");
    st::LayersModel q = st::quantizeInt8(m, {st::ones({4, 5})});
    try {
      st::quantizeInt8(q, {st::ones({4, 5})});
      ADD_FAILURE() << "quantized twice";
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find("already"), std::string::npos) << e.what();
    }
  });
}

TEST(Int8Model, NoTensorLeaks) {
  st::setRandomSeed(11);
  auto m = st::sequential({.name = "leak"});
  m.add(st::layers::conv2d({.filters = 3, .kernelSize = 3, .activation = "relu", .inputShape = {5, 5, 2}}));
  m.add(st::layers::batchNormalization({}));
  m.add(st::layers::flatten({}));
  m.add(st::layers::dense({.units = 2}));
  st::Tensor x = st::randomUniform({3, 5, 5, 2}, 0, 1, st::DType::float32, 1);
  const int64_t before = st::memory().numTensors;
  {
    st::LayersModel q = st::quantizeInt8(m, {x});
    st::tidy([&] { q.predict(x); });
  }
  EXPECT_EQ(st::memory().numTensors, before);
}

}  // namespace
