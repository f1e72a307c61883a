// `strata quantize` run as a user runs it, on a small model saved here: the storage and int8
// paths and their report, and the bad inputs (unknown dtype, missing or misshapen calibration
// data, an unwritable output directory) as one-line errors that write nothing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "strata/layers_api.h"
#include "strata/strata.h"
#include "tools/cli_run.h"

namespace st = strata;
namespace fs = std::filesystem;
using strata::testing::runCli;

namespace {

class CliQuantize : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
    dir = fs::temp_directory_path() / ("strata_cli_quantize_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    st::setRandomSeed(12);
    auto m = st::sequential({.name = "cliq"});
    m.add(st::layers::conv2d({.filters = 4, .kernelSize = 3, .activation = "relu", .inputShape = {6, 6, 1}, .name = "c"}));
    m.add(st::layers::flatten({}));
    m.add(st::layers::dense({.units = 8, .activation = "relu", .name = "d1"}));
    m.add(st::layers::dense({.units = 3, .activation = "softmax", .name = "d2"}));
    m.save(p("model"));
    st::saveNpy(p("x.npy"), st::randomUniform({10, 6, 6, 1}, 0, 1, st::DType::float32, 3));
    st::saveNpy(p("bad.npy"), st::randomUniform({10, 6, 6}, 0, 1, st::DType::float32, 3));
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string p(const std::string& name) const { return (dir / name).string(); }
  // One line on standard error, exit status 1, nothing at `out`.
  void expectError(const std::string& args, const std::string& text, const std::string& out) {
    auto r = runCli("quantize " + args);
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find(text), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_FALSE(fs::exists(out)) << out << " was written";
  }
  fs::path dir;
};

TEST_F(CliQuantize, StorageReportsSizesAndDifference) {
  auto r = runCli("quantize " + p("model") + " --dtype uint8 --out " + p("u8") + " --input " + p("x.npy"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("size: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" -> "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("largest output difference from the float model on the --input data (10 samples)"), std::string::npos) << r.out;
  std::ifstream in(p("u8/model.json"));
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["weightsManifest"][0]["weights"][0]["quantization"]["dtype"], "uint8");
  EXPECT_LT(fs::file_size(p("u8/group1-shard1of1.bin")) * 3, fs::file_size(p("model/group1-shard1of1.bin")));
  // Without --input: random inputs.
  r = runCli("quantize " + p("model") + " --dtype float16 --out " + p("f16"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("random uniform"), std::string::npos) << r.out;
}

TEST_F(CliQuantize, Int8WithCalibration) {
  auto r = runCli("quantize " + p("model") + " --dtype int8 --calibrate " + p("x.npy") + " --out " + p("i8"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("int8 layers: 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("on the calibration data"), std::string::npos) << r.out;
  EXPECT_TRUE(st::isInt8Quantized(st::loadLayersModel(p("i8"))));
  // predict reads it like any model
  r = runCli("predict " + p("i8") + " --input " + p("x.npy") + " --output " + p("y.npy"));
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST_F(CliQuantize, BadInputsAreOneLineErrorsAndWriteNothing) {
  expectError(p("model") + " --dtype int4 --out " + p("o1"), "unknown --dtype 'int4'", p("o1"));
  expectError(p("model") + " --dtype int8 --out " + p("o2"), "--calibrate", p("o2"));
  expectError(p("model") + " --dtype uint8 --calibrate " + p("x.npy") + " --out " + p("o3"), "only to --dtype int8", p("o3"));
  expectError(p("model") + " --dtype int8 --calibrate " + p("bad.npy") + " --out " + p("o4"), "[10,6,6]", p("o4"));
  expectError(p("model") + " --dtype uint8 --input " + p("x.npy") + " --input " + p("x.npy") + " --out " + p("o5"),
              "2 --input", p("o5"));
  std::ofstream(p("file")) << "not a directory";
  expectError(p("model") + " --dtype uint8 --out " + p("file/out"), "cannot create directory", p("file/out"));
  expectError(p("model") + " --dtype int8 --calibrate " + p("x.npy") + " --out " + p("file/out"), "cannot create directory",
              p("file/out"));
}

}  // namespace
