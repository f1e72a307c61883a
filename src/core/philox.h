// The counter-based random generator behind the random ops: Philox4x32-10 (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011). A value is a pure function of the
// 64-bit seed (the key) and a 128-bit counter that the kernels fill with the element index and
// a draw number, so every backend (scalar C++, OpenMP, CUDA, Vulkan) produces bit-identical
// raw words for the same seed, whatever the order in which it visits elements. These are plain
// inline functions without dependencies so that device code can include this header too.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define STRATA_HOST_DEVICE __host__ __device__
#else
#define STRATA_HOST_DEVICE
#endif

namespace strata::philox {

struct Block {
  uint32_t v[4];
};

STRATA_HOST_DEVICE inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

/// Philox4x32 with 10 rounds; matches Random123's known-answer vectors.
STRATA_HOST_DEVICE inline Block philox4x32_10(Block ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, ctr.v[0], hi0, lo0);
    mulhilo(kM1, ctr.v[2], hi1, lo1);
    ctr = Block{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
  }
  return ctr;
}

/// Streams keep draws of different ops apart even under one seed.
enum Stream : uint32_t { kUniform = 0x556e6966u, kNormal = 0x4e6f726du };

/// The four raw words for element `index`, draw `draw` (truncated normals redraw with
/// draw = 1, 2, ...) of stream `stream` under `seed`.
STRATA_HOST_DEVICE inline Block raw(uint64_t seed, uint64_t index, uint32_t draw, uint32_t stream) {
  Block ctr{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), draw, stream}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

/// A double in [0, 1) with 53 random bits from two words.
STRATA_HOST_DEVICE inline double unitDouble(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi >> 5) << 26) | (lo >> 6);
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);  // 2^-53
}

/// Uniform in [0, 1) for element `index`.
STRATA_HOST_DEVICE inline double uniform(uint64_t seed, uint64_t index) {
  Block b = raw(seed, index, 0, kUniform);
  return unitDouble(b.v[0], b.v[1]);
}

/// A standard normal for element `index`, draw `draw`, by the Box-Muller transform (the cosine
/// branch; one normal per element keeps the value a function of the index alone).
STRATA_HOST_DEVICE inline double normal(uint64_t seed, uint64_t index, uint32_t draw = 0) {
  Block b = raw(seed, index, draw, kNormal);
  double u1 = 1.0 - unitDouble(b.v[0], b.v[1]);  // (0, 1]: log stays finite
  double u2 = unitDouble(b.v[2], b.v[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// A standard normal within [-2, 2]: draws beyond are redrawn with the next draw number (each
/// draw is rejected with probability 4.6%, so 64 draws all failing has probability < 1e-85; the
/// cap only bounds the loop for device code).
STRATA_HOST_DEVICE inline double truncatedNormal(uint64_t seed, uint64_t index) {
  double z = 0;
  for (uint32_t draw = 0; draw < 64; ++draw) {
    z = normal(seed, index, draw);
    if (z >= -2.0 && z <= 2.0) return z;
  }
  return z < 0 ? -2.0 : 2.0;
}

}  // namespace strata::philox
