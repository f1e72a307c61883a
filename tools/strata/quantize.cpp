// `strata quantize` (DESIGN §5, docs/quantization.md): storage quantization as tfjs-converter
// writes it (uint8/uint16 affine, float16), or int8 compute with post-training static
// quantization on calibration data. Prints the size before and after and the largest output
// difference from the float model. Everything is checked and computed before the output
// directory is written, and the model is written under temporary names and renamed.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "commands.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

namespace fs = std::filesystem;

// Bytes of a saved model: model.json plus every shard its manifest lists.
uintmax_t modelBytes(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) p /= "model.json";
  std::ifstream in(p);
  if (!in) throw Error("model file not found at '" + p.string() + "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error("model '" + p.string() + "': malformed JSON: " + e.what());
  }
  uintmax_t total = fs::file_size(p);
  if (j.contains("weightsManifest") && j["weightsManifest"].is_array())
    for (const auto& g : j["weightsManifest"])
      if (g.contains("paths") && g["paths"].is_array())
        for (const auto& s : g["paths"]) {
          std::error_code ec;
          uintmax_t n = s.is_string() ? fs::file_size(p.parent_path() / s.get<std::string>(), ec) : 0;
          if (!ec) total += n;
        }
  return total;
}

std::string megabytes(uintmax_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f MB", static_cast<double>(b) / 1e6);
  return buf;
}

// Uniform [0, 1) inputs of the model's shapes (unknown extents 1, batch 4) when none are given.
std::vector<Tensor> randomInputs(const LayersModel& model, uint64_t seed) {
  std::vector<Tensor> xs;
  for (const auto& in : model.inputs()) {
    Shape s = in.shape;
    for (size_t d = 0; d < s.size(); ++d)
      if (s[d] < 0) s[d] = d == 0 ? 4 : 1;
    xs.push_back(randomUniform(s, 0.f, 1.f, DType::float32, seed++));
  }
  return xs;
}

// max |a - b| over every output; NaN if an output is NaN in one and not the other.
double largestDifference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = a[i].dataSync<float>(), y = b[i].dataSync<float>();
    for (size_t k = 0; k < x.size(); ++k) {
      const double d = std::abs(static_cast<double>(x[k]) - y[k]);
      if (std::isnan(d) && !(std::isnan(x[k]) && std::isnan(y[k]))) return NAN;
      if (d > worst) worst = d;
    }
  }
  return worst;
}

}  // namespace

void addQuantizeCommand(CLI::App& app) {
  struct Args {
    std::string model, dtype, out, backend;
    std::vector<std::string> inputs, calibrate;
    int weightBits = 7, depthwiseWeightBits = 8;
    int64_t seed = 42;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("quantize", "Quantize a TF.js Layers model: smaller weights (uint8, uint16, float16) "
                                             "or int8 compute (int8, with calibration data)");
  cmd->add_option("model", a->model, "Path to model.json (or its directory)")->required();
  cmd->add_option("--dtype", a->dtype,
                  "uint8 | uint16 | float16: weight storage as tfjs-converter writes it (loads in TF.js); "
                  "int8: int8 Conv2D/DepthwiseConv2D/Dense kernels (loads in Strata only)")
      ->required();
  cmd->add_option("--out", a->out, "Directory for the quantized model")->required();
  cmd->add_option("--calibrate", a->calibrate,
                  "int8: representative inputs .npy, one per model input (batch first), for the activation ranges");
  cmd->add_option("--input", a->inputs,
                  "Inputs .npy (one per model input) on which to report the largest output difference from the float "
                  "model (default: the calibration data for int8, random uniform [0, 1) otherwise)");
  cmd->add_option("--weight-bits", a->weightBits,
                  "int8: weight precision of Conv2D and Dense, 2..8 (default 7; see docs/quantization.md)");
  cmd->add_option("--depthwise-weight-bits", a->depthwiseWeightBits,
                  "int8: weight precision of DepthwiseConv2D, 2..8 (default 8)");
  cmd->add_option("--seed", a->seed, "Seed of the random inputs (default 42)");
  cmd->add_option("--backend", a->backend, "Backend to run on (default: the best available)");
  cmd->callback([a] {
    const bool int8 = a->dtype == "int8";
    if (!int8 && a->dtype != "uint8" && a->dtype != "uint16" && a->dtype != "float16")
      throw Error("unknown --dtype '" + a->dtype + "' (expected uint8, uint16, float16 or int8)");
    if (int8 && a->calibrate.empty())
      throw Error("--dtype int8 needs calibration data: --calibrate X.npy (one per model input)");
    if (!int8 && !a->calibrate.empty()) throw Error("--calibrate applies only to --dtype int8");
    if (!a->backend.empty()) setBackend(a->backend);
    LayersModel model = loadLayersModel(a->model);
    std::vector<Tensor> calibration, inputs;
    for (const auto& p : a->calibrate) calibration.push_back(loadNpy(p));
    for (const auto& p : a->inputs) inputs.push_back(loadNpy(p));
    if (!inputs.empty() && inputs.size() != model.inputs().size())
      throw Error("model '" + a->model + "' has " + std::to_string(model.inputs().size()) + " input(s), but " +
                  std::to_string(inputs.size()) + " --input file(s) were given");
    std::string inputsWhat = a->inputs.empty() ? "" : "the --input data";
    if (inputs.empty() && int8) inputs = calibration, inputsWhat = "the calibration data";
    if (inputs.empty())
      inputs = randomInputs(model, static_cast<uint64_t>(a->seed)), inputsWhat = "random uniform [0, 1) inputs";
    const std::vector<Tensor> reference = model.predict(inputs);

    Int8Report report;
    if (int8) {
      LayersModel q = quantizeInt8(model, calibration, {.weightBits = a->weightBits, .depthwiseWeightBits = a->depthwiseWeightBits}, &report);
      q.save(a->out);
    } else {
      saveQuantized(model, a->out, {.dtype = a->dtype});
    }
    // The difference is measured on the model as written, read back.
    LayersModel written = loadLayersModel(a->out);
    const double diff = largestDifference(reference, written.predict(inputs));

    const uintmax_t before = modelBytes(a->model), after = modelBytes(a->out);
    std::printf("quantized '%s' (%s) into %s\n", a->model.c_str(), a->dtype.c_str(), a->out.c_str());
    std::printf("size: %s -> %s (x%.3f; model.json + weight shards)\n", megabytes(before).c_str(),
                megabytes(after).c_str(), before ? static_cast<double>(after) / static_cast<double>(before) : 0.0);
    if (int8) {
      std::printf("int8 layers: %zu (%zu layers folded into them), calibrated on %lld samples\n", report.quantized.size(),
                  report.folded.size(), static_cast<long long>(report.calibrationSamples));
      for (const auto& s : report.skipped) std::printf("left in float32: %s\n", s.c_str());
    }
    std::printf("largest output difference from the float model on %s (%lld samples): %.6g\n", inputsWhat.c_str(),
                static_cast<long long>(inputs[0].shape().empty() ? 1 : inputs[0].shape()[0]), diff);
  });
}

}  // namespace strata::cli
