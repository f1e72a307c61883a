// Attribute readers shared by the conv, pool and matmul op tables: TF.js-style padding,
// [h, w] pairs (or one number for both), fused activations and their optional inputs.
#pragma once

#include "ops/op_table.h"

namespace strata::test {

/// 'same' | 'valid' | a number | [[0,0],[top,bottom],[left,right],[0,0]].
inline Padding padAttr(const Json& a, const char* key = "pad") {
  const Json& p = a.at(key);
  if (p.is_string()) return Padding(p.get<std::string>());
  if (p.is_number()) return Padding(p.get<int>());
  return Padding::explicitPads(p[1][0], p[1][1], p[2][0], p[2][1]);
}

/// A number n is [n, n].
inline std::array<int, 2> pairAttr(const Json& a, const char* key, int fallback) {
  if (!a.contains(key) || a[key].is_null()) return {fallback, fallback};
  const Json& v = a[key];
  if (v.is_number()) return {v.get<int>(), v.get<int>()};
  return {v[0].get<int>(), v[1].get<int>()};
}

/// Fills the fused options' activation, bias and PReLU weights from attrs and the inputs
/// after the first two (bias when hasBias, then the weights for 'prelu').
template <class Options>
void fusedAttrs(Options& o, const Inputs& x, const Json& a) {
  size_t k = 2;
  if (attr<bool>(a, "hasBias", false)) o.bias = x[k++];
  o.activation = parseActivation(attr<std::string>(a, "activation", "linear"));
  if (o.activation == Activation::prelu) o.preluActivationWeights = x[k++];
  o.leakyreluAlpha = attr<float>(a, "leakyreluAlpha", 0.2f);
}

}  // namespace strata::test

namespace strata::test {

/// Runs `f` and returns the message of the strata::Error it throws ("" if none).
template <class F>
std::string errorOf(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace strata::test

/// Expects `stmt` to throw a strata::Error whose message contains `text`.
#define EXPECT_ERROR(stmt, text)                                                  \
  do {                                                                            \
    std::string msg_ = ::strata::test::errorOf([&] { stmt; });                    \
    EXPECT_NE(msg_.find(text), std::string::npos) << "error was: '" << msg_ << "'"; \
  } while (0)
