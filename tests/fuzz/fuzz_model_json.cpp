// libFuzzer target for the model.json + weightsManifest loader. Any input must either load or
// throw strata::Error: no crash, leak, hang or other exception.
//   Short run (CI):  build-asan/tests/fuzz/fuzz_model_json -max_total_time=60 tests/fuzz/corpus
//   Long run:        build-asan/tests/fuzz/fuzz_model_json -max_total_time=3600 -jobs=2 CORPUS_DIR tests/fuzz/corpus
// (built by `./build.sh test` in build-asan: clang, -DSTRATA_SANITIZE=ON -DSTRATA_FUZZ=ON)
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "strata/strata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = [] {
    strata::setBackend("reference");
    return true;
  }();
  (void)init;
  std::string text(reinterpret_cast<const char*>(data), size);
  // Every shard path the manifest names resolves to the same 64 KiB of small floats, so that
  // well-formed inputs get past weight loading and exercise layer construction.
  std::map<std::string, std::vector<uint8_t>> shards;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("weightsManifest") && j["weightsManifest"].is_array())
    for (const auto& g : j["weightsManifest"])
      if (g.is_object() && g.contains("paths") && g["paths"].is_array())
        for (const auto& p : g["paths"])
          if (p.is_string()) shards[p.get<std::string>()] = std::vector<uint8_t>(65536, 0x3c);
  try {
    auto model = strata::loadLayersModelFromMemory(text, shards, "fuzz.json");
    (void)model.summary();
  } catch (const strata::Error&) {
    // A clear error is the expected outcome for malformed input.
  }
  return 0;
}
