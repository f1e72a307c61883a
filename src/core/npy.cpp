// .npy reading and writing (format versions 1.0-3.0 read, 1.0 written).
#include "strata/npy.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <unistd.h>

#include "core/engine.h"

namespace strata {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error("npy file '" + path + "': " + what);
}

// Finds the value text of 'key' in the header dict.
std::string field(const std::string& header, const std::string& key, const std::string& path) {
  auto k = header.find("'" + key + "'");
  if (k == std::string::npos) fail(path, "header has no '" + key + "' entry");
  auto colon = header.find(':', k);
  if (colon == std::string::npos) fail(path, "malformed header");
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) fail(path, "malformed header");
  char open = header[start];
  size_t end;
  if (open == '\'') end = header.find('\'', start + 1) + 1;
  else if (open == '(') end = header.find(')', start) + 1;
  else end = header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0) fail(path, "malformed header");
  return header.substr(start, end - start);
}

}  // namespace

Tensor loadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  char magic[6];
  if (!in.read(magic, 6) || std::memcmp(magic, "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (bad magic)");
  uint8_t version[2];
  if (!in.read(reinterpret_cast<char*>(version), 2)) fail(path, "truncated header");
  uint32_t headerLen = 0;
  if (version[0] == 1) {
    uint8_t b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) fail(path, "truncated header");
    headerLen = b[0] | (b[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    uint8_t b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) fail(path, "truncated header");
    headerLen = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    fail(path, "unsupported format version " + std::to_string(version[0]));
  }
  if (headerLen > (1u << 20)) fail(path, "header too large");
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen)) fail(path, "truncated header");

  std::string descr = field(header, "descr", path);
  std::string order = field(header, "fortran_order", path);
  std::string shapeText = field(header, "shape", path);
  if (order.find("True") != std::string::npos) fail(path, "Fortran-order arrays are not supported; save in C order");
  if (descr.size() < 4) fail(path, "malformed descr " + descr);
  std::string type = descr.substr(1, descr.size() - 2);  // strip quotes
  char endian = type[0];
  std::string kind = type.substr(1);
  if (endian == '>' && kind != "u1" && kind != "i1" && kind != "b1") fail(path, "big-endian data is not supported");

  Shape shape;
  {
    std::string s = shapeText.substr(1, shapeText.size() - 2);
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
      size_t a = item.find_first_not_of(' ');
      if (a == std::string::npos) continue;
      try {
        long long v = std::stoll(item.substr(a));
        if (v < 0) fail(path, "negative dimension in shape " + shapeText);
        shape.push_back(v);
      } catch (const std::logic_error&) {
        fail(path, "malformed shape " + shapeText);
      }
    }
  }
  const int64_t n = shapeSize(shape);
  size_t itemSize;
  if (kind == "f4" || kind == "i4" || kind == "u4") itemSize = 4;
  else if (kind == "f8" || kind == "i8" || kind == "u8") itemSize = 8;
  else if (kind == "i2" || kind == "u2" || kind == "f2") itemSize = 2;
  else if (kind == "b1" || kind == "u1" || kind == "i1") itemSize = 1;
  else fail(path, "unsupported dtype '" + type + "' (float32/64, int8-64, uint8/16, bool are supported)");
  std::vector<uint8_t> raw(static_cast<size_t>(n) * itemSize);
  if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size())))
    fail(path, "data is truncated: shape " + shapeString(shape) + " of '" + type + "' needs " +
                   std::to_string(raw.size()) + " bytes");

  auto convertInt = [&](auto tag) {
    using T = decltype(tag);
    std::vector<int32_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      T x;
      std::memcpy(&x, raw.data() + i * sizeof(T), sizeof(T));
      if (static_cast<int64_t>(x) > std::numeric_limits<int32_t>::max() || (std::is_signed_v<T> && x < std::numeric_limits<int32_t>::min()))
        fail(path, "value " + std::to_string(x) + " at index " + std::to_string(i) + " does not fit in int32");
      v[i] = static_cast<int32_t>(x);
    }
    return detail::fromHost(v.data(), shape, DType::int32);
  };
  if (kind == "f4") return detail::fromHost(raw.data(), shape, DType::float32);
  if (kind == "i4") return detail::fromHost(raw.data(), shape, DType::int32);
  if (kind == "b1") {
    for (auto& b : raw) b = b ? 1 : 0;
    return detail::fromHost(raw.data(), shape, DType::bool_);
  }
  if (kind == "f8") {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, raw.data() + i * 8, 8);
      v[i] = static_cast<float>(d);
    }
    return detail::fromHost(v.data(), shape, DType::float32);
  }
  if (kind == "f2") fail(path, "float16 .npy files are not supported; convert to float32");
  if (kind == "i8") return convertInt(int64_t{});
  if (kind == "u8") return convertInt(uint64_t{});
  if (kind == "u4") return convertInt(uint32_t{});
  if (kind == "i2") return convertInt(int16_t{});
  if (kind == "u2") return convertInt(uint16_t{});
  if (kind == "i1") return convertInt(int8_t{});
  return convertInt(uint8_t{});
}

void saveNpy(const std::string& path, const Tensor& t) {
  const char* descr;
  switch (t.dtype()) {
    case DType::float32: descr = "<f4"; break;
    case DType::int32: descr = "<i4"; break;
    case DType::bool_: descr = "|b1"; break;
    default: throw Error("saveNpy '" + path + "': unsupported dtype " + std::string(dtypeName(t.dtype())));
  }
  std::vector<uint8_t> data = t.bytesSync();
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.shape().size() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("saveNpy: cannot open '" + path + "' for writing");
    uint16_t len = static_cast<uint16_t>(header.size());
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(static_cast<char>(len & 0xff));
    out.put(static_cast<char>(len >> 8));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out.flush()) {
      out.close();
      std::remove(tmp.c_str());
      throw Error("saveNpy: writing '" + path + "' failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error("saveNpy: cannot rename temporary file to '" + path + "': " + ec.message());
  }
}

}  // namespace strata
