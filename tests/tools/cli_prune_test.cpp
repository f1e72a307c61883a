// `strata prune` run as a user runs it, on a small CNN built and saved here: magnitude pruning
// with fine-tuning (exact zero counts in the saved model), one-shot pruning, structured pruning
// (smaller saved model, optional fine-tuning), and bad input (one clear line, nothing written).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "strata/layers_api.h"
#include "strata/strata.h"
#include "tools/cli_run.h"

namespace st = strata;
namespace fs = std::filesystem;

namespace {

using strata::testing::runCli;

class CliPrune : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
    dir = fs::temp_directory_path() / ("strata_cli_prune_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    st::setRandomSeed(4);
    auto m = st::sequential({.name = "small_cnn"});
    m.add(st::layers::conv2d({.filters = 4, .kernelSize = 3, .activation = "relu", .inputShape = {6, 6, 1}, .name = "conv"}));
    m.add(st::layers::maxPooling2d({.poolSize = 2, .name = "pool"}));
    m.add(st::layers::flatten({.name = "flat"}));
    m.add(st::layers::dense({.units = 6, .activation = "relu", .name = "hidden"}));
    m.add(st::layers::dense({.units = 3, .activation = "softmax", .name = "out"}));
    m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
    m.save((dir / "model").string());  // with a trainingConfig
    st::Tensor x = st::randomUniform({24, 6, 6, 1}, 0, 1, st::DType::float32, 8);
    st::Tensor cls = st::argMax(st::reshape(st::slice(st::reshape(x, {24, 36}), {0, 0}, {24, 3}), {24, 3}), 1);
    st::saveNpy((dir / "x.npy").string(), x);
    st::saveNpy((dir / "y.npy").string(), st::oneHot(cls, 3, 1, 0, st::DType::float32));
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string p(const std::string& name) const { return (dir / name).string(); }
  std::string data() const { return " --x " + p("x.npy") + " --y " + p("y.npy"); }
  fs::path dir;
};

}  // namespace

TEST_F(CliPrune, MagnitudeFineTunesAndSavesExactZeros) {
  auto r = runCli("prune " + p("model") + " --sparsity 0.75" + data() +
                  " --epochs 2 --batch-size 8 --frequency 1 --seed 1 --verbose 0 --save " + p("pruned"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("conv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("75.00%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("acc: "), std::string::npos) << r.out;  // evaluated after pruning
  auto report = st::sparsityReport(st::loadLayersModel(p("pruned")));
  ASSERT_EQ(report.size(), 3u);
  for (const auto& l : report)  // kernels of 36, 96 and 18 weights keep a quarter each
    EXPECT_EQ(l.zeros, l.size - std::llround(l.size * 0.25)) << l.layer;
}

TEST_F(CliPrune, OneShotWithoutDataAndOnlyNamedLayers) {
  auto r = runCli("prune " + p("model") + " --sparsity 0.5 --layers hidden --save " + p("once"));
  ASSERT_EQ(r.status, 0) << r.out;
  auto report = st::sparsityReport(st::loadLayersModel(p("once")));
  ASSERT_EQ(report.size(), 3u);
  EXPECT_EQ(report[0].zeros, 0);   // conv untouched
  EXPECT_EQ(report[1].zeros, 48);  // hidden: 96 weights
  EXPECT_EQ(report[2].zeros, 0);
  // Without --save: the report only.
  auto q = runCli("prune " + p("model") + " --sparsity 0.5");
  ASSERT_EQ(q.status, 0) << q.out;
  EXPECT_NE(q.out.find("not saved"), std::string::npos) << q.out;
}

TEST_F(CliPrune, StructuredMakesASmallerModelAndFineTunes) {
  auto r = runCli("prune " + p("model") + " --structured 0.5 --save " + p("s"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("parameters: "), std::string::npos) << r.out;
  auto m = st::loadLayersModel(p("s"));
  EXPECT_EQ(m.getLayer("conv").ownWeights()[0].value.shape(), (st::Shape{3, 3, 1, 2}));
  EXPECT_EQ(m.getLayer("hidden").ownWeights()[0].value.shape(), (st::Shape{8, 3}));
  EXPECT_EQ(m.getLayer("out").ownWeights()[0].value.shape(), (st::Shape{3, 3}));
  EXPECT_TRUE(m.trainingConfig().is_object());

  auto t = runCli("prune " + p("model") + " --structured 0.5" + data() + " --epochs 1 --verbose 0 --save " + p("s2"));
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("loss: "), std::string::npos) << t.out;
  EXPECT_EQ(st::loadLayersModel(p("s2")).countParams(), m.countParams());
}

TEST_F(CliPrune, BadInputIsOneClearLineAndWritesNothing) {
  struct Case {
    std::string args, words;
  };
  st::setRandomSeed(2);
  auto dw = st::sequential({.name = "dw_net"});
  dw.add(st::layers::conv2d({.filters = 4, .kernelSize = 3, .inputShape = {6, 6, 1}, .name = "c"}));
  dw.add(st::layers::depthwiseConv2d({.kernelSize = 3, .name = "dw"}));
  dw.add(st::layers::flatten());
  dw.add(st::layers::dense({.units = 2, .name = "o"}));
  dw.save(p("dw"));
  for (const Case& c : std::vector<Case>{
           {"--sparsity 1.5", "--sparsity must be in [0, 1), got 1.5"},
           {"--sparsity -0.2", "--sparsity must be in [0, 1)"},
           {"--structured 1", "--structured must be in [0, 1)"},
           {"--sparsity 0.5 --structured 0.5", "exactly one of --sparsity"},
           {"", "exactly one of --sparsity"},
           {"--sparsity 0.5 --epochs 2", "needs --x X.npy and --y Y.npy"},
           {"--sparsity 0.5 --layers nope", "no layer 'nope'"},
           {"--sparsity 0.5 --frequency 0", "frequency"},
       }) {
    auto r = runCli("prune " + p("model") + " " + c.args + " --save " + p("out"));
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.out.find(c.words), std::string::npos) << c.args << ": " << r.out;
    EXPECT_FALSE(fs::exists(p("out"))) << c.args;
  }
  auto r = runCli("prune " + p("dw") + " --structured 0.5 --save " + p("out"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("layer 'dw' (DepthwiseConv2D)"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(p("out")));
}
