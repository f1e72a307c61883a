// The strata command line, run as a user runs it (the binary's path comes from ctest).
#include <gtest/gtest.h>

#include "tools/cli_run.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using strata::testing::runCli;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
  }
};

TEST_F(Cli, InfoListsBackendsAndTheDefault) {
  auto r = runCli("info");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("reference"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("priority"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Default backend:"), std::string::npos) << r.out;
}

TEST_F(Cli, InfoKernelsPrintsCoverage) {
  auto r = runCli("info --kernels");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Conv2D"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total"), std::string::npos);
}

TEST_F(Cli, UnknownBackendFromEnvironmentIsOneClearLine) {
  auto r = runCli("info");  // info itself never fails on a bad backend: it reports
  auto bad = runCli("demo --help");
  EXPECT_EQ(bad.status, 0);
  setenv("STRATA_BACKEND", "nope", 1);
  auto d = runCli("demo");
  unsetenv("STRATA_BACKEND");
  EXPECT_NE(d.status, 0);
  EXPECT_NE(d.out.find("nope"), std::string::npos) << d.out;
}

TEST_F(Cli, UnknownCommandFails) {
  auto r = runCli("frobnicate");
  EXPECT_NE(r.status, 0);
}

}  // namespace

#include <cmath>
#include <filesystem>
#include <fstream>

#include "strata/strata.h"

namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& model) {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return fs::path(dir ? dir : "fixtures") / "models" / model;
}

// `strata predict` on the real MobileNetV2 from nsfwjs matches what TF.js predicted.
TEST_F(Cli, PredictMobileNetV2MatchesTfjs) {
  fs::path dir = fixture("mobilenet_v2");
  ASSERT_TRUE(fs::exists(dir / "model.json")) << "model fixtures missing";
  fs::path out = fs::temp_directory_path() / ("strata_cli_out_" + std::to_string(::getpid()) + ".npy");
  auto r = runCli("predict " + (dir / "model.json").string() + " --input " + (dir / "input_0.npy").string() +
               " --output " + out.string() + " --backend reference");
  ASSERT_EQ(r.status, 0) << r.out;
  strata::setBackend("reference");
  auto got = strata::loadNpy(out.string()).dataSync();
  auto want = strata::loadNpy((dir / "output_0.npy").string()).dataSync();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4 + 1e-4 * std::abs(want[i])) << i;
  fs::remove(out);
}

TEST_F(Cli, PredictFailsCleanlyWithoutPartialOutput) {
  fs::path tmp = fs::temp_directory_path() / ("strata_cli_bad_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  std::ofstream(tmp / "model.json") << "{ not json";
  fs::path in = fixture("mobilenet_v2") / "input_0.npy";
  fs::path out = tmp / "out.npy";
  auto r = runCli("predict " + (tmp / "model.json").string() + " --input " + in.string() + " --output " + out.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("model.json"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line: " << r.out;
  EXPECT_FALSE(fs::exists(out));
  // Wrong number of inputs for a real model: also one clear line, no output.
  fs::path dir = fixture("mobilenet_v2");
  r = runCli("predict " + (dir / "model.json").string() + " --input " + in.string() + " --input " + in.string() +
          " --output " + out.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("1 input"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  // An input of the wrong shape.
  strata::setBackend("reference");
  strata::saveNpy((tmp / "small.npy").string(), strata::zeros({1, 10, 10, 3}));
  r = runCli("predict " + (dir / "model.json").string() + " --input " + (tmp / "small.npy").string() + " --output " +
          out.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("[null,224,224,3]"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(tmp);
}

}  // namespace
