// Bad model files and bad inputs: each is a strata::Error naming the file, JSON path or layer,
// and the process stays usable. Also the model API (summary, getLayer, weights).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// A Sequential Dense(3 -> 2, relu) model written by hand, as TF.js would write it.
Json denseModel() {
  return Json::parse(R"({
    "format": "layers-model", "generatedBy": "test", "convertedBy": null,
    "modelTopology": {"class_name": "Sequential", "config": {"name": "seq", "layers": [
      {"class_name": "Dense", "config": {"name": "d1", "units": 2, "activation": "relu", "use_bias": true,
                                         "batch_input_shape": [null, 3]}}]}},
    "weightsManifest": [{"paths": ["w.bin"], "weights": [
      {"name": "d1/kernel", "shape": [3, 2], "dtype": "float32"},
      {"name": "d1/bias", "shape": [2], "dtype": "float32"}]}]})");
}

class ModelFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    st::setBackend("reference");
    dir_ = fs::temp_directory_path() / ("strata_model_errors_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    weights_ = {0.5f, -1, 2, 0.25f, -0.5f, 1, 0.1f, -0.2f};  // kernel [3,2] then bias [2]
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const Json& model, const std::vector<float>& w, const std::string& name = "model.json") {
    std::ofstream(dir_ / name) << model.dump();
    std::ofstream(dir_ / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(w.data()), w.size() * 4);
    return (dir_ / name).string();
  }
  // Expects loading to throw an Error whose message contains every needle.
  void expectLoadError(const std::string& path, std::initializer_list<std::string> needles) {
    try {
      st::loadLayersModel(path);
      ADD_FAILURE() << "expected an error";
    } catch (const st::Error& e) {
      for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
  }
  fs::path dir_;
  std::vector<float> weights_;
};

// Expected values from mathematics: relu(x W + b).
TEST_F(ModelFiles, LoadsAndPredicts) {
  auto model = st::loadLayersModel(write(denseModel(), weights_));
  auto y = model.predict(st::tensor({1, 2, 3}, {1, 3}));
  // x W = [1*0.5 + 2*2 + 3*-0.5, 1*-1 + 2*0.25 + 3*1] = [3, 2.5]; + b = [3.1, 2.3]
  auto v = y.dataSync();
  EXPECT_NEAR(v[0], 3.1f, 1e-6);
  EXPECT_NEAR(v[1], 2.3f, 1e-6);
  EXPECT_EQ(model.inputs()[0].shape, (st::Shape{-1, 3}));
  EXPECT_EQ(model.outputs()[0].shape, (st::Shape{-1, 2}));
  EXPECT_EQ(model.countParams(), 8);
  std::string s = model.summary();
  EXPECT_NE(s.find("d1 (Dense)"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 8"), std::string::npos) << s;
  EXPECT_EQ(model.getLayer("d1").className(), "Dense");
  try {
    model.getLayer("nope");
    FAIL();
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("d1"), std::string::npos) << e.what();
  }
  auto w = model.getWeights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1].dataSync(), (std::vector<float>{0.1f, -0.2f}));
  w[1] = st::tensor({0, 0});
  model.setWeights(w);
  EXPECT_NEAR(model.predict(st::tensor({1, 2, 3}, {1, 3})).dataSync()[0], 3.0f, 1e-6);
  EXPECT_THROW(model.setWeights({w[0]}), st::Error);
}

TEST_F(ModelFiles, BatchesLargeInputs) {
  auto model = st::loadLayersModel(write(denseModel(), weights_));
  auto x = st::randomUniform({70, 3}, -1, 1, st::DType::float32, 7);
  auto whole = model.predict(x, {.batchSize = 100});
  auto batched = model.predict(x, {.batchSize = 16});
  EXPECT_EQ(whole.dataSync(), batched.dataSync());
}

TEST_F(ModelFiles, MalformedJson) {
  std::ofstream(dir_ / "bad.json") << "{\"modelTopology\": {";
  expectLoadError((dir_ / "bad.json").string(), {"bad.json", "malformed JSON"});
  std::ofstream(dir_ / "notmodel.json") << "[1, 2]";
  expectLoadError((dir_ / "notmodel.json").string(), {"notmodel.json"});
  expectLoadError((dir_ / "missing.json").string(), {"missing.json", "not found"});
}

TEST_F(ModelFiles, MissingOrShortShard) {
  std::string p = write(denseModel(), weights_);
  fs::remove(dir_ / "w.bin");
  expectLoadError(p, {"model.json", "w.bin", "not found"});
  write(denseModel(), std::vector<float>(weights_.begin(), weights_.begin() + 7));
  expectLoadError(p, {"model.json", "d1/bias", "missing or short"});
}

TEST_F(ModelFiles, WeightShapeMismatch) {
  Json m = denseModel();
  m["weightsManifest"][0]["weights"][0]["shape"] = {2, 3};
  m["weightsManifest"][0]["weights"][1]["shape"] = {2};
  expectLoadError(write(m, weights_), {"d1/kernel", "[2,3]", "[3,2]"});
}

TEST_F(ModelFiles, MissingAndExtraWeights) {
  Json m = denseModel();
  m["weightsManifest"][0]["weights"].erase(1);
  expectLoadError(write(m, weights_), {"d1/bias"});
  Json extra = denseModel();
  extra["weightsManifest"][0]["weights"].push_back({{"name", "ghost/kernel"}, {"shape", {1}}, {"dtype", "float32"}});
  auto w = weights_;
  w.push_back(1);
  expectLoadError(write(extra, w), {"ghost/kernel"});
}

TEST_F(ModelFiles, UnknownLayerAndActivation) {
  Json m = denseModel();
  m["modelTopology"]["config"]["layers"][0]["class_name"] = "FancyLayer";
  expectLoadError(write(m, weights_), {"model.json", "FancyLayer"});
  Json a = denseModel();
  a["modelTopology"]["config"]["layers"][0]["config"]["activation"] = "sparkle";
  expectLoadError(write(a, weights_), {"sparkle", "d1"});
}

TEST_F(ModelFiles, UnsupportedDtype) {
  Json m = denseModel();
  m["weightsManifest"][0]["weights"][0]["dtype"] = "complex64";
  expectLoadError(write(m, weights_), {"complex64", "d1/kernel"});
}

TEST_F(ModelFiles, QuantizedWeights) {
  // uint8 with min/scale, and float16: dequantized at load (values from the definition).
  Json m = denseModel();
  m["weightsManifest"][0]["weights"][0]["quantization"] = {{"dtype", "uint8"}, {"min", -1.0}, {"scale", 0.5}};
  m["weightsManifest"][0]["weights"][1]["quantization"] = {{"dtype", "float16"}};
  std::vector<uint8_t> bytes = {0, 1, 2, 3, 4, 5};  // -1, -0.5, 0, 0.5, 1, 1.5
  uint16_t halves[2] = {0x3C00, 0xC000};            // 1.0, -2.0
  bytes.insert(bytes.end(), reinterpret_cast<uint8_t*>(halves), reinterpret_cast<uint8_t*>(halves) + 4);
  std::ofstream(dir_ / "model.json") << m.dump();
  std::ofstream(dir_ / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto model = st::loadLayersModel((dir_ / "model.json").string());
  auto w = model.getWeights();
  EXPECT_EQ(w[0].dataSync(), (std::vector<float>{-1, -0.5f, 0, 0.5f, 1, 1.5f}));
  EXPECT_EQ(w[1].dataSync(), (std::vector<float>{1, -2}));
}

// Two weight groups, the first split across two shard files, the second uint16-quantized.
TEST_F(ModelFiles, SeveralGroupsAndShards) {
  Json m = denseModel();
  m["weightsManifest"] = Json::parse(R"([
    {"paths": ["a1.bin", "a2.bin"], "weights": [{"name": "d1/kernel", "shape": [3, 2], "dtype": "float32"}]},
    {"paths": ["b.bin"], "weights": [{"name": "d1/bias", "shape": [2], "dtype": "float32",
                                      "quantization": {"dtype": "uint16", "min": -1.0, "scale": 0.25}}]}])");
  std::ofstream(dir_ / "model.json") << m.dump();
  std::ofstream(dir_ / "a1.bin", std::ios::binary).write(reinterpret_cast<const char*>(weights_.data()), 10);
  std::ofstream(dir_ / "a2.bin", std::ios::binary).write(reinterpret_cast<const char*>(weights_.data()) + 10, 14);
  uint16_t q[2] = {4, 300};  // -1 + 4/4 = 0, -1 + 300/4 = 74
  std::ofstream(dir_ / "b.bin", std::ios::binary).write(reinterpret_cast<const char*>(q), 4);
  auto model = st::loadLayersModel((dir_ / "model.json").string());
  auto w = model.getWeights();
  EXPECT_EQ(w[0].dataSync(), std::vector<float>(weights_.begin(), weights_.begin() + 6));
  EXPECT_EQ(w[1].dataSync(), (std::vector<float>{0, 74}));
}

TEST_F(ModelFiles, WrongInputShapeOrCount) {
  auto model = st::loadLayersModel(write(denseModel(), weights_));
  try {
    model.predict(st::ones({2, 4}));
    FAIL();
  } catch (const st::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("[null,3]"), std::string::npos) << m;
    EXPECT_NE(m.find("[2,4]"), std::string::npos) << m;
  }
  EXPECT_THROW(model.predict(std::vector<st::Tensor>{st::ones({2, 3}), st::ones({2, 3})}), st::Error);
  // The process stays usable.
  EXPECT_EQ(model.predict(st::ones({1, 3})).shape(), (st::Shape{1, 2}));
}

TEST_F(ModelFiles, SaveWritesTfjsFormatAtomically) {
  auto model = st::loadLayersModel(write(denseModel(), weights_));
  fs::path out = dir_ / "saved";
  model.save(out.string());
  Json j = Json::parse(std::ifstream(out / "model.json"));
  EXPECT_EQ(j["format"], "layers-model");
  EXPECT_EQ(j["weightsManifest"][0]["paths"][0], "group1-shard1of1.bin");
  EXPECT_EQ(j["weightsManifest"][0]["weights"][0]["name"], "d1/kernel");
  for (auto& f : fs::directory_iterator(out))
    EXPECT_EQ(f.path().string().find(".tmp"), std::string::npos) << "left a temporary file " << f.path();
  auto again = st::loadLayersModel((out / "model.json").string());
  EXPECT_EQ(again.getWeights()[0].dataSync(), model.getWeights()[0].dataSync());
  // A directory that cannot be created is an error, not a half-written model.
  std::ofstream(dir_ / "file") << "x";
  EXPECT_THROW(model.save((dir_ / "file" / "sub").string()), st::Error);
}

}  // namespace
