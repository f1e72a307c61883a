// The strata command line, run as a user runs it (the binary's path comes from ctest).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  const char* cli = std::getenv("STRATA_CLI");
  std::string cmd = std::string(cli ? cli : "./strata") + " " + args + " 2>&1";
  Result r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("STRATA_CLI")) GTEST_SKIP() << "STRATA_CLI is not set (ctest sets it)";
  }
};

TEST_F(Cli, InfoListsBackendsAndTheDefault) {
  auto r = run("info");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("reference"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("priority"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Default backend:"), std::string::npos) << r.out;
}

TEST_F(Cli, InfoKernelsPrintsCoverage) {
  auto r = run("info --kernels");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Conv2D"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total"), std::string::npos);
}

TEST_F(Cli, UnknownBackendFromEnvironmentIsOneClearLine) {
  auto r = run("info");  // info itself never fails on a bad backend: it reports
  auto bad = run("demo --help");
  EXPECT_EQ(bad.status, 0);
  setenv("STRATA_BACKEND", "nope", 1);
  auto d = run("demo");
  unsetenv("STRATA_BACKEND");
  EXPECT_NE(d.status, 0);
  EXPECT_NE(d.out.find("nope"), std::string::npos) << d.out;
}

TEST_F(Cli, UnknownCommandFails) {
  auto r = run("frobnicate");
  EXPECT_NE(r.status, 0);
}

}  // namespace
