// `strata fit` and `strata evaluate` run as a user runs them, on a small model built and saved
// here with the C++ API.
#include <gtest/gtest.h>

#include "tools/cli_run.h"
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;

namespace {

using strata::testing::runCli;

class CliFit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
    dir = fs::temp_directory_path() / ("strata_cli_fit_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    st::setRandomSeed(4);
    auto m = st::sequential();
    m.add(st::layers::dense({.units = 8, .activation = "relu", .inputShape = {4}}));
    m.add(st::layers::dense({.units = 3, .activation = "softmax"}));
    m.save((dir / "model").string());
    st::Tensor x = st::randomUniform({40, 4}, -1, 1, st::DType::float32, 8);
    st::Tensor labels = st::argMax(x, 1);
    st::saveNpy((dir / "x.npy").string(), x);
    st::saveNpy((dir / "y.npy").string(), st::cast(st::oneHot(st::minimum(labels, st::scalar(2)), 3), st::DType::float32));
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string p(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
};

}  // namespace

TEST_F(CliFit, FitWritesModelAndHistoryThenEvaluateReadsTrainingConfig) {
  auto r = runCli("fit " + p("model") + " --x " + p("x.npy") + " --y " + p("y.npy") +
               " --epochs 3 --batch-size 8 --optimizer '{\"class_name\": \"Momentum\", \"config\": {\"learningRate\": 0.05, "
               "\"momentum\": 0.9, \"useNesterov\": false}}' --loss categoricalCrossentropy --metrics accuracy "
               "--no-shuffle --verbose 2 --save " + p("trained") + " --history " + p("h.json"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Epoch 3/3"), std::string::npos) << r.out;
  std::ifstream hin(p("h.json"));
  auto h = nlohmann::json::parse(hin);
  EXPECT_EQ(h["epoch"], nlohmann::json::array({0, 1, 2}));
  EXPECT_EQ(h["history"]["loss"].size(), 3u);
  EXPECT_EQ(h["history"]["acc"].size(), 3u);
  EXPECT_EQ(h["batchLoss"].size(), 15u);  // 40 samples / 8 per batch * 3 epochs

  std::ifstream min(p("trained/model.json"));
  auto mj = nlohmann::json::parse(min);
  EXPECT_EQ(mj["trainingConfig"]["optimizer_config"]["class_name"], "Momentum");

  // evaluate compiles from the saved trainingConfig; its loss is the trained model's.
  auto e = runCli("evaluate " + p("trained") + " --x " + p("x.npy") + " --y " + p("y.npy"));
  ASSERT_EQ(e.status, 0) << e.out;
  EXPECT_NE(e.out.find("loss: "), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("acc: "), std::string::npos) << e.out;
  auto trained = st::loadLayersModel(p("trained"));
  trained.compileFromTrainingConfig();
  double loss = trained.evaluate(st::loadNpy(p("x.npy")), st::loadNpy(p("y.npy")))["loss"];
  double printed = std::stod(e.out.substr(e.out.find("loss: ") + 6));
  EXPECT_NEAR(printed, loss, 1e-5 * std::max(1.0, std::abs(loss)));
}

TEST_F(CliFit, FitRecompilesFromTrainingConfigWithoutFlags) {
  auto first = runCli("fit " + p("model") + " --x " + p("x.npy") + " --y " + p("y.npy") +
                   " --optimizer rmsprop --loss meanSquaredError --verbose 0 --save " + p("a"));
  ASSERT_EQ(first.status, 0) << first.out;
  auto second = runCli("fit " + p("a") + " --x " + p("x.npy") + " --y " + p("y.npy") + " --verbose 0 --save " + p("b") +
                    " --learning-rate 0.01");
  ASSERT_EQ(second.status, 0) << second.out;
  std::ifstream in(p("b/model.json"));
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["trainingConfig"]["optimizer_config"]["class_name"], "RMSProp");
  EXPECT_FLOAT_EQ(j["trainingConfig"]["optimizer_config"]["config"]["learningRate"].get<float>(), 0.01f);
  EXPECT_EQ(j["trainingConfig"]["loss"], "mean_squared_error");
}

TEST_F(CliFit, BadInputIsOneClearLineAndWritesNothing) {
  auto bad = runCli("fit " + p("model") + " --x " + p("x.npy") + " --y " + p("y.npy") +
                 " --optimizer nadamish --loss mse --save " + p("out"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("nadamish"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(p("out")));
  auto noLoss = runCli("fit " + p("model") + " --x " + p("x.npy") + " --y " + p("y.npy") + " --save " + p("out"));
  EXPECT_NE(noLoss.status, 0);
  EXPECT_NE(noLoss.out.find("--loss"), std::string::npos) << noLoss.out;
  auto wrongY = runCli("fit " + p("model") + " --x " + p("x.npy") + " --y " + p("x.npy") + " --loss mse --save " + p("out"));
  EXPECT_NE(wrongY.status, 0);
  EXPECT_NE(wrongY.out.find("[40,4]"), std::string::npos) << wrongY.out;
  EXPECT_FALSE(fs::exists(p("out")));
}
