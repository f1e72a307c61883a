// Runs the strata command line as a user does (its path comes from ctest's STRATA_CLI) and
// captures its exit status and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace strata::testing {

struct CliResult {
  int status;
  std::string out;
};

/// `redirect` is appended to the command line ("2>&1" merges standard error into `out`).
inline CliResult runCli(const std::string& args, const std::string& redirect = "2>&1") {
  const char* cli = std::getenv("STRATA_CLI");
  std::string cmd = std::string(cli ? cli : "./strata") + " " + args + " " + redirect;
  CliResult r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int s = pclose(p);
  r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  return r;
}

}  // namespace strata::testing
