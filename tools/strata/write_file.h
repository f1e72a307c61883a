// Writing a whole output file of the CLI: to a temporary name, then renamed, so a failure never
// leaves a half-written file under the user's name.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "strata/error.h"

namespace strata::cli {

inline void writeFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".partial-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error("cannot write '" + path + "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "'");
  }
}

}  // namespace strata::cli
