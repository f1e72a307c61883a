// `strata bench` run as a user runs it, with tiny settings on the built-in MNIST CNN. Timings
// are not checked (benchmarks, not tests); what is checked: the table and JSON are complete and
// consistent (throughput = batch / median, min <= median), no tensor leaks across runs, the
// profile's conv/matmul FLOPs equal those computed here from the model's layer shapes, the HTML
// page is self-contained with SVG charts, and bad arguments give one clear line and exit != 0.
#include <gtest/gtest.h>

#include "tools/cli_run.h"
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using strata::testing::runCli;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr const char* kTiny = "bench mnist_cnn --runs 2 --warmup 1";

class CliBench : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
    dir = fs::temp_directory_path() / ("strata_cli_bench_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string p(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
};

// Conv/matmul FLOPs of the MNIST CNN per sample, from its layer shapes (2 per multiply-add):
// conv 3x3 1->32 on 28x28 (valid: 26x26), conv 3x3 32->64 on 13x13 (11x11), dense 1600->128,
// dense 128->10.
double mnistCnnFlopsPerSample() {
  return 2.0 * (26 * 26 * 32 * 9 * 1 + 11 * 11 * 64 * 9 * 32 + 5 * 5 * 64 * 128 + 128 * 10);
}

}  // namespace

TEST_F(CliBench, PrintsATableRowPerBackendAndBatch) {
  auto r = runCli(std::string(kTiny) + " --backend reference --batch 1,3");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("median ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("samples/s"), std::string::npos) << r.out;
  int rows = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("mnist_cnn", 0) != 0) continue;
    std::istringstream in(line);
    std::string model, backend, vs;
    int batch = 0;
    double minMs = 0, medMs = 0, perSec = 0, peak = 0, rss = 0;
    in >> model >> backend >> batch >> minMs >> medMs >> perSec >> peak >> rss >> vs;
    ASSERT_TRUE(in) << line;
    EXPECT_EQ(backend, "reference");
    EXPECT_EQ(batch, rows == 0 ? 1 : 3);
    EXPECT_LE(minMs, medMs) << line;
    EXPECT_NEAR(perSec, batch * 1000.0 / medMs, perSec * 0.005 / medMs + 0.1) << line;  // medMs printed to 0.01
    EXPECT_GT(peak, 0) << line;  // the weights at least
    EXPECT_GT(rss, 0) << line;
    EXPECT_EQ(vs, "1.00x") << line;  // reference against itself
    ++rows;
  }
  EXPECT_EQ(rows, 2) << r.out;
}

TEST_F(CliBench, JsonHasEveryFieldAndConsistentNumbers) {
  auto r = runCli(std::string(kTiny) + " --batch 1,2 --train --profile --json " + p("b.json"));
  ASSERT_EQ(r.status, 0) << r.out;
  json doc = json::parse(slurp(p("b.json")));
  EXPECT_EQ(doc["tool"], "strata bench");
  EXPECT_FALSE(doc["version"].get<std::string>().empty());
  EXPECT_EQ(doc["date"].get<std::string>().size(), 20u) << doc["date"];  // 2026-01-02T03:04:05Z
  EXPECT_FALSE(doc["machine"]["cpu"].get<std::string>().empty());
  EXPECT_GT(doc["machine"]["cores"].get<int>(), 0);
  ASSERT_FALSE(doc["backends"].empty());
  EXPECT_EQ(doc["backends"][0]["name"], "reference");  // the baseline runs first
  EXPECT_EQ(doc["models"].size(), 1u);
  EXPECT_EQ(doc["models"][0]["name"], "mnist_cnn");
  EXPECT_EQ(doc["models"][0]["params"], 225034);  // 320 + 18,496 + 204,928 + 1,290
  ASSERT_EQ(doc["results"].size(), 2 * doc["backends"].size());
  for (const json& res : doc["results"]) {
    SCOPED_TRACE(res.dump());
    const int b = res["batch"];
    const json& pr = res["predict"];
    EXPECT_EQ(pr["runsMs"].size(), 2u);
    EXPECT_LE(pr["minMs"].get<double>(), pr["medianMs"].get<double>());
    EXPECT_NEAR(pr["samplesPerSec"].get<double>(), b * 1000.0 / pr["medianMs"].get<double>(), 1e-6);
    EXPECT_GE(res["memory"]["peakEngineBytes"].get<int64_t>(), res["memory"]["baselineEngineBytes"].get<int64_t>());
    EXPECT_GE(res["memory"]["baselineEngineBytes"].get<int64_t>(), 225034 * 4);  // the weights
    EXPECT_GT(res["memory"]["peakRssBytes"].get<int64_t>(), 0);
    EXPECT_EQ(res["memory"]["leakedTensors"], 0);  // predict leaks nothing
    EXPECT_EQ(res["memory"]["engineBytesGrowthOverRuns"], 0);  // nor holds more bytes run after run
    EXPECT_TRUE(res["memory"]["rssGrowthOverRunsBytes"].is_number_integer());
    EXPECT_GT(res["train"]["samplesPerSec"].get<double>(), 0);
    EXPECT_EQ(res["train"]["runsMs"].size(), 2u);
    const json& prof = res["profile"];
    EXPECT_NEAR(prof["convMatmulGflop"].get<double>() * 1e9, b * mnistCnnFlopsPerSample(), 1.0);
    EXPECT_GT(prof["convMatmulShareOfWall"].get<double>(), 0);
    EXPECT_LE(prof["convMatmulShareOfWall"].get<double>(), 1.0);
    EXPECT_GT(prof["matmulPeak"]["gflopPerSec"].get<double>(), 0);
    if (res["backend"] == "reference") EXPECT_DOUBLE_EQ(res["speedupVsReference"].get<double>(), 1.0);
  }
}

TEST_F(CliBench, JsonToStandardOutputStaysParseable) {
  auto r = runCli(std::string(kTiny) + " --backend reference --batch 1 --json -", "2>/dev/null");
  ASSERT_EQ(r.status, 0) << r.out;
  json doc = json::parse(r.out);  // the table went to standard error
  EXPECT_EQ(doc["results"].size(), 1u);
}

TEST_F(CliBench, ReportIsOneSelfContainedPageWithCharts) {
  auto r = runCli(std::string(kTiny) + " --backend reference --batch 1,2 --report " + p("r.html"));
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string html = slurp(p("r.html"));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("mnist_cnn"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  for (const char* external : {"<script", "<link", "src=", "url(", "@import"})
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  for (const auto& e : fs::directory_iterator(dir))  // written via a temporary, which is gone
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST_F(CliBench, UnknownBackendListsTheAvailableOnes) {
  auto r = runCli(std::string(kTiny) + " --backend reference,nope --json " + p("x.json"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("'nope'"), std::string::npos) << r.out;
  const size_t listed = r.out.find("available: ");
  ASSERT_NE(listed, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reference", listed), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;  // one line
  EXPECT_FALSE(fs::exists(p("x.json")));
}

TEST_F(CliBench, BadBatchListsAreOneClearLine) {
  for (const char* bad : {"1,x", "0", "8,-1", "", "1,,2"}) {
    auto r = runCli(std::string(kTiny) + " --batch '" + bad + "'");
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_NE(r.out.find(std::string("bad --batch '") + bad + "'"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
  }
}

TEST_F(CliBench, MissingModelFileIsOneClearLine) {
  auto r = runCli("bench " + p("nowhere/model.json") + " --runs 1 --json " + p("x.json"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find(p("nowhere/model.json")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not found"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
  EXPECT_FALSE(fs::exists(p("x.json")));
}
