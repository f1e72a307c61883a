#include "models/weights_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "strata/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/shape.h"
#include "strata/ops/unary.h"

namespace strata::layers {

using Json = nlohmann::json;

float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<NamedWeight> readWeights(const Json& manifest, const ShardReader& read, const std::string& context) {
  std::vector<NamedWeight> out;
  if (manifest.is_null()) return out;
  if (!manifest.is_array()) throw Error(context + ": weightsManifest must be a list");
  for (size_t g = 0; g < manifest.size(); ++g) {
    const Json& group = manifest[g];
    std::string gw = "weightsManifest[" + std::to_string(g) + "]";
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
        !group["weights"].is_array())
      throw Error(context + ": " + gw + " needs 'paths' and 'weights' lists");
    std::vector<uint8_t> bytes;
    for (size_t p = 0; p < group["paths"].size(); ++p) {
      if (!group["paths"][p].is_string()) throw Error(context + ": " + gw + ".paths[" + std::to_string(p) + "] must be a string");
      std::vector<uint8_t> shard = read(group["paths"][p].get<std::string>());
      bytes.insert(bytes.end(), shard.begin(), shard.end());
    }
    size_t offset = 0;
    for (size_t w = 0; w < group["weights"].size(); ++w) {
      const Json& spec = group["weights"][w];
      std::string where = gw + ".weights[" + std::to_string(w) + "]";
      if (!spec.is_object() || !spec.contains("name") || !spec["name"].is_string() || !spec.contains("shape") ||
          !spec["shape"].is_array())
        throw Error(context + ": " + where + " needs 'name' and 'shape'");
      std::string name = spec["name"].get<std::string>();
      Shape shape;
      for (const auto& d : spec["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 40))
          throw Error(context + ": " + where + " ('" + name + "') has a bad shape " + spec["shape"].dump());
        shape.push_back(d.get<int64_t>());
      }
      int64_t n = shapeSize(shape);
      if (n > (int64_t{1} << 34)) throw Error(context + ": " + where + " ('" + name + "') is too large");
      std::string dtype = spec.contains("dtype") && spec["dtype"].is_string() ? spec["dtype"].get<std::string>() : "float32";
      std::string stored = dtype;
      const Json* q = nullptr;
      if (spec.contains("quantization") && !spec["quantization"].is_null()) {
        q = &spec["quantization"];
        if (!q->is_object() || !q->contains("dtype") || !(*q)["dtype"].is_string())
          throw Error(context + ": " + where + " ('" + name + "') has a malformed quantization");
        stored = (*q)["dtype"].get<std::string>();
      }
      size_t elem;
      if (stored == "float32" || stored == "int32") elem = 4;
      else if (stored == "uint16" || stored == "float16") elem = 2;
      else if (stored == "uint8" || stored == "bool" || stored == "int8") elem = 1;
      else throw Error(context + ": " + where + " ('" + name + "') has unsupported dtype '" + stored + "'");
      size_t need = static_cast<size_t>(n) * elem;
      if (offset + need > bytes.size())
        throw Error(context + ": " + gw + ": the shards hold " + std::to_string(bytes.size()) + " bytes, but weight '" +
                    name + "' " + shapeString(shape) + " " + stored + " needs bytes " + std::to_string(offset) + " to " +
                    std::to_string(offset + need) + " (a shard is missing or short)");
      const uint8_t* p = bytes.data() + offset;
      offset += need;
      Tensor t;
      if (!q) {
        if (stored == "float32" || stored == "int32")
          t = tensorFromBytes(std::span<const uint8_t>(p, need), shape, stored == "int32" ? DType::int32 : DType::float32);
        else if (stored == "bool" || stored == "int8")  // int8: the kernels of int8-quantized models
          t = tensorFromBytes(std::span<const uint8_t>(p, need), shape, stored == "bool" ? DType::bool_ : DType::int8);
        else
          throw Error(context + ": " + where + " ('" + name + "') has dtype " + stored + " without quantization");
      } else {
        std::vector<float> v(static_cast<size_t>(n));
        if (stored == "float16") {
          for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, p + 2 * i, 2);
            v[i] = halfToFloat(h);
          }
        } else if (stored == "uint8" || stored == "uint16") {
          if (!q->contains("scale") || !(*q)["scale"].is_number() || !q->contains("min") || !(*q)["min"].is_number())
            throw Error(context + ": " + where + " ('" + name + "') quantization needs numeric 'min' and 'scale'");
          const double scale = (*q)["scale"].get<double>(), mn = (*q)["min"].get<double>();
          if (stored == "uint8")
            for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(p[i] * scale + mn);
          else
            for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((p[2 * i] | (p[2 * i + 1] << 8)) * scale + mn);
        } else {
          throw Error(context + ": " + where + " ('" + name + "') has unsupported quantization dtype '" + stored + "'");
        }
        t = shape.empty() ? reshape(tensor(v, {1}), {}) : tensor(v, shape);
        if (dtype == "int32") t = cast(t, DType::int32);
      }
      out.push_back(NamedWeight{name, t});
    }
  }
  return out;
}

AffineRange affineRange(double min, double max, int levels) {
  if (min == max) return {min, 1.0};
  const double scale = (max - min) / levels;
  if (min <= 0 && 0 <= max) return {-std::nearbyint(-min / scale) * scale, scale};  // zero is a level
  return {min, scale};
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  // Round half to even on the dropped bits; a carry may move into the exponent (even to infinity).
  auto round = [](uint32_t kept, uint32_t rest, uint32_t mid) { return rest > mid || (rest == mid && (kept & 1u)) ? kept + 1 : kept; };
  if (e <= 0) {  // a half subnormal (or zero): units of 2^-24
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    return static_cast<uint16_t>(sign | round(mant >> shift, mant & ((1u << shift) - 1), 1u << (shift - 1)));
  }
  const uint32_t h = round(static_cast<uint32_t>(e) << 10 | mant >> 13, mant & 0x1fffu, 0x1000u);
  return static_cast<uint16_t>(sign | std::min(h, 0x7c00u));
}

namespace {

// One float32 weight as tfjs-converter's quantize_weights stores it; returns the manifest's
// `quantization` entry and appends the bytes.
Json quantizeWeight(const NamedWeight& w, WeightStorage storage, std::vector<uint8_t>& out) {
  const std::vector<float> v = w.value.dataSync<float>();
  if (storage == WeightStorage::float16) {
    for (float f : v) {
      const uint16_t h = floatToHalf(f);
      out.push_back(static_cast<uint8_t>(h & 0xff));
      out.push_back(static_cast<uint8_t>(h >> 8));
    }
    return Json{{"dtype", "float16"}};
  }
  const bool wide = storage == WeightStorage::uint16;
  const int levels = wide ? 65535 : 255;
  double lo = v[0], hi = v[0];
  for (float f : v) {
    if (!std::isfinite(f))
      throw Error("cannot quantize weight '" + w.name + "': it holds a NaN or infinite value");
    lo = std::min(lo, static_cast<double>(f));
    hi = std::max(hi, static_cast<double>(f));
  }
  const AffineRange r = affineRange(lo, hi, levels);
  const double top = r.min + levels * r.scale;
  for (float f : v) {
    const double q = lo == hi ? 0.0 : std::nearbyint((std::clamp(static_cast<double>(f), r.min, top) - r.min) / r.scale);
    const auto u = static_cast<uint32_t>(std::clamp(q, 0.0, static_cast<double>(levels)));
    out.push_back(static_cast<uint8_t>(u & 0xff));
    if (wide) out.push_back(static_cast<uint8_t>(u >> 8));
  }
  return Json{{"dtype", wide ? "uint16" : "uint8"}, {"min", r.min}, {"scale", r.scale}};
}

}  // namespace

Json encodeWeights(const std::vector<NamedWeight>& weights, size_t shardBytes,
                   std::vector<std::pair<std::string, std::vector<uint8_t>>>& shards, WeightStorage storage) {
  Json specs = Json::array();
  std::vector<uint8_t> all;
  for (const auto& w : weights) {
    Json s{{"name", w.name}, {"shape", w.value.shape()}, {"dtype", std::string(dtypeName(w.value.dtype()))}};
    if (storage != WeightStorage::float32 && w.value.dtype() == DType::float32 && w.value.size() > 0) {
      s["quantization"] = quantizeWeight(w, storage, all);
    } else {
      std::vector<uint8_t> b = w.value.bytesSync();
      all.insert(all.end(), b.begin(), b.end());
    }
    specs.push_back(s);
  }
  size_t count = std::max<size_t>(1, (all.size() + shardBytes - 1) / shardBytes);
  Json paths = Json::array();
  for (size_t i = 0; i < count; ++i) {
    std::string name = "group1-shard" + std::to_string(i + 1) + "of" + std::to_string(count) + ".bin";
    size_t begin = i * shardBytes, end = std::min(all.size(), begin + shardBytes);
    shards.emplace_back(name, std::vector<uint8_t>(all.begin() + static_cast<long>(begin), all.begin() + static_cast<long>(end)));
    paths.push_back(name);
  }
  return Json{{"paths", paths}, {"weights", specs}};
}

}  // namespace strata::layers
