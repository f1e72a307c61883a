// The op table of the conformance suite: maps each op name used by the TF.js case files
// (tests/conformance/ops/*.mjs) to a call of the Strata op. One file per op family
// registers its entries with OP_TABLE(...).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::test {

using Inputs = std::vector<Tensor>;
using Json = nlohmann::json;
using OpFn = std::function<std::vector<Tensor>(const Inputs&, const Json& attrs)>;

std::map<std::string, OpFn>& opTable();

struct OpTableRegistrar {
  OpTableRegistrar(std::initializer_list<std::pair<const char*, OpFn>> entries) {
    for (auto& [name, fn] : entries) opTable()[name] = fn;
  }
};

/// Wraps a one-output op.
template <class F>
OpFn one(F f) {
  return [f](const Inputs& x, const Json& a) { return std::vector<Tensor>{f(x, a)}; };
}

/// Attribute readers with defaults.
template <class T>
T attr(const Json& a, const char* key, T fallback) {
  return a.contains(key) && !a[key].is_null() ? a[key].get<T>() : fallback;
}

}  // namespace strata::test
