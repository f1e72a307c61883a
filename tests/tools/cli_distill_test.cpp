// `strata distill` run as a user runs it: a teacher and a student built and saved here, the
// student trained and saved; bad input gives one clear line and writes nothing.
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

st::LayersModel mlp(const std::string& name, int hidden, int classes, uint64_t seed) {
  st::setRandomSeed(seed);
  auto m = st::sequential({.name = name});
  m.add(st::layers::dense({.units = hidden, .activation = "relu", .inputShape = {5}}));
  m.add(st::layers::dense({.units = classes, .activation = "softmax"}));
  return m;
}

class CliDistill : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
    dir = fs::temp_directory_path() / ("strata_cli_distill_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    mlp("teacher", 12, 3, 1).save(p("teacher"));
    mlp("student", 4, 3, 2).save(p("student"));
    mlp("wide", 4, 5, 3).save(p("wide"));
    st::Tensor x = st::randomUniform({30, 5}, -1, 1, st::DType::float32, 8);
    st::saveNpy(p("x.npy"), x);
    st::saveNpy(p("y.npy"), st::oneHot(st::argMax(st::slice(x, {0, 0}, {30, 3}), 1), 3, 1, 0, st::DType::float32));
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string p(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
};

}  // namespace

TEST_F(CliDistill, TrainsAndSavesTheStudent) {
  auto r = runCli("distill " + p("teacher") + " " + p("student") + " --x " + p("x.npy") + " --y " + p("y.npy") +
                  " --temperature 2 --alpha 0.5 --epochs 2 --batch-size 8 --seed 1 --learning-rate 0.01 --save " +
                  p("out"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Epoch 2/2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("student "), std::string::npos) << r.out;
  auto before = st::loadLayersModel(p("student"));
  auto after = st::loadLayersModel(p("out"));
  EXPECT_EQ(after.countParams(), before.countParams());
  auto a = after.getWeights(), b = before.getWeights();
  EXPECT_FALSE(st::all(st::equal(a[0], b[0])).item<bool>());  // trained
}

TEST_F(CliDistill, BadInputIsOneClearLineAndWritesNothing) {
  const std::string data = " --x " + p("x.npy") + " --y " + p("y.npy") + " --save " + p("out");
  struct Case {
    std::string args, words;
  };
  for (const Case& c : std::vector<Case>{
           {p("teacher") + " " + p("wide") + data, "the student 'wide' outputs shape [null,5] but the teacher"},
           {p("teacher") + " " + p("student") + data + " --temperature 0", "temperature must be > 0"},
           {p("teacher") + " " + p("student") + data + " --alpha 2", "alpha must be in [0, 1]"},
           {p("teacher") + " " + p("missing") + data, "missing"},
       }) {
    auto r = runCli("distill " + c.args);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.out.find(c.words), std::string::npos) << c.args << ": " << r.out;
    EXPECT_FALSE(fs::exists(p("out"))) << c.args;
  }
}
