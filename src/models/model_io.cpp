// model.json + weight shards: loading (Keras 2 and 3 topologies, quantized weights) and saving
// in the format TF.js's loadLayersModel reads.
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "models/model.h"
#include "models/weight_policies.h"
#include "models/weights_io.h"
#include "strata/engine.h"
#include "strata/models.h"

namespace strata {

using layers::Json;
namespace fs = std::filesystem;

namespace {

constexpr size_t kShardBytes = 4 * 1024 * 1024;  // TF.js's default shard size

std::vector<uint8_t> readFile(const fs::path& p, const std::string& what) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  if (!in) throw Error(what + " not found at '" + p.string() + "'");
  std::vector<uint8_t> bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw Error(what + " at '" + p.string() + "' could not be read");
  return bytes;
}

// Matches manifest weights to the model's by "<layer>/<weight>" as TF.js does, including its
// fallbacks for names carrying extra scopes. Every model weight must be provided (strict).
void assignWeights(layers::Model& model, const std::vector<layers::NamedWeight>& loaded, const std::string& context) {
  std::map<std::string, layers::Weight*> byName;
  std::function<void(layers::Model&, const std::string&)> index = [&](layers::Model& m, const std::string& prefix) {
    for (auto& l : m.layers) {
      if (auto* inner = dynamic_cast<layers::Model*>(l.get())) {
        index(*inner, prefix + inner->name() + "/");
        continue;
      }
      for (auto& w : l->ownWeights()) {
        std::string full = l->name() + "/" + w.name;
        byName.emplace(full, &w);
        if (!prefix.empty()) byName.emplace(prefix + full, &w);
      }
    }
  };
  index(model, "");
  std::set<layers::Weight*> assigned;
  for (const auto& lw : loaded) {
    layers::Weight* target = nullptr;
    if (auto it = byName.find(lw.name); it != byName.end()) target = it->second;
    if (!target) {
      // TF.js: drop the second-to-last scope ("a/b/c/kernel" -> "a/b/kernel"), then try the
      // last two tokens ("model/dense/kernel" -> "dense/kernel").
      std::vector<std::string> tok;
      size_t start = 0, pos;
      while ((pos = lw.name.find('/', start)) != std::string::npos) {
        tok.push_back(lw.name.substr(start, pos - start));
        start = pos + 1;
      }
      tok.push_back(lw.name.substr(start));
      if (tok.size() >= 3) {
        std::string shortened;
        for (size_t i = 0; i + 2 < tok.size(); ++i) shortened += tok[i] + "/";
        shortened += tok.back();
        if (auto it = byName.find(shortened); it != byName.end()) target = it->second;
      }
      if (!target && tok.size() >= 2)
        if (auto it = byName.find(tok[tok.size() - 2] + "/" + tok.back()); it != byName.end()) target = it->second;
    }
    if (!target) throw Error(context + ": weight '" + lw.name + "' in the manifest matches no weight of the model");
    if (assigned.count(target)) throw Error(context + ": weight '" + lw.name + "' is given twice");
    if (lw.value.shape() != target->value.shape())
      throw Error(context + ": weight '" + lw.name + "' has shape " + shapeString(lw.value.shape()) +
                  " in the manifest, but the model's layer expects " + shapeString(target->value.shape()));
    target->value.assign(lw.value.dtype() == target->value.dtype() ? lw.value : cast(lw.value, target->value.dtype()));
    assigned.insert(target);
  }
  for (auto& [name, w] : byName)
    if (!assigned.count(w))
      throw Error(context + ": the manifest provides no value for weight '" + name + "'");
}

LayersModel fromJsonUnchecked(const std::string& text, const layers::ShardReader& read, const std::string& context);

// Every JSON type error a layer's config reader did not anticipate still becomes one clear
// strata::Error naming the file (the loader is fuzzed: no other exception may escape).
LayersModel fromJson(const std::string& text, const layers::ShardReader& read, const std::string& context) {
  try {
    return fromJsonUnchecked(text, read, context);
  } catch (const Error&) {
    throw;
  } catch (const Json::exception& e) {
    throw Error(context + ": unexpected value in model.json: " + e.what());
  } catch (const std::length_error& e) {
    throw Error(context + ": a size in model.json is too large: " + e.what());
  } catch (const std::bad_alloc&) {
    throw OutOfMemoryError(context + ": out of memory while building the model (is a layer size absurd?)");
  }
}

LayersModel fromJsonUnchecked(const std::string& text, const layers::ShardReader& read, const std::string& context) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw Error(context + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(context + ": expected a JSON object at the top level");
  if (!j.contains("modelTopology") || !j["modelTopology"].is_object())
    throw Error(context + ": modelTopology is missing (is this a TF.js Layers model.json?)");
  const Json& topo = j["modelTopology"];
  const Json& mc = topo.contains("model_config") ? topo["model_config"] : topo;
  if (!mc.is_object() || !mc.contains("class_name") || !mc["class_name"].is_string())
    throw Error(context + ": modelTopology.model_config.class_name is missing");
  std::string cls = mc["class_name"].get<std::string>();
  if (cls != "Sequential" && cls != "Model" && cls != "Functional")
    throw Error(context + ": modelTopology.model_config.class_name '" + cls + "' is not Sequential, Model or Functional");
  static const Json kEmpty = Json::object();
  const Json& config = mc.contains("config") ? mc["config"] : kEmpty;
  // Layer objects own variables: build inside tidy so temporaries of construction are freed.
  std::shared_ptr<layers::Model> model;
  tidy([&] { model = std::make_shared<layers::Model>(cls, config, context); });
  static const Json kNoManifest;
  const Json& manifest = j.contains("weightsManifest") ? j["weightsManifest"] : kNoManifest;
  if (manifest.is_null() || (manifest.is_array() && manifest.empty())) {
    // No weights given: the model starts from its initializers, as TF.js's loadLayersModel does.
    try {
      layers::initializeWeights(*model);
    } catch (const DisposedError&) {
      throw;
    } catch (const OutOfMemoryError&) {
      throw;
    } catch (const Error& e) {
      throw Error(context + ": " + e.what());
    }
  } else {
    std::vector<layers::NamedWeight> loaded = layers::readWeights(manifest, read, context);
    tidy([&] { assignWeights(*model, loaded, context); });
    for (auto& w : loaded) w.value.dispose();
  }
  if (j.contains("trainingConfig")) model->mutableConfig()["__trainingConfig"] = j["trainingConfig"];
  // Kept and written back on save, as TF.js does (int8 models record their scheme here).
  if (j.contains("userDefinedMetadata") && j["userDefinedMetadata"].is_object())
    model->mutableConfig()["__userDefinedMetadata"] = j["userDefinedMetadata"];
  return LayersModel(model);
}

}  // namespace

LayersModel loadLayersModelFromMemory(const std::string& modelJson, const std::map<std::string, std::vector<uint8_t>>& shards,
                                      const std::string& context) {
  return fromJson(
      modelJson,
      [&](const std::string& p) {
        auto it = shards.find(p);
        if (it == shards.end()) throw Error(context + ": weight shard '" + p + "' not found");
        return it->second;
      },
      context);
}

LayersModel loadLayersModel(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) p /= "model.json";
  std::string context = "model '" + p.string() + "'";
  std::vector<uint8_t> bytes = readFile(p, "model file");
  fs::path dir = p.parent_path();
  return fromJson(
      std::string(bytes.begin(), bytes.end()),
      [&](const std::string& shard) { return readFile(dir / shard, context + ": weight shard '" + shard + "'"); },
      context);
}

void LayersModel::save(const std::string& dirPath) const { layers::saveModel(*this, dirPath, layers::WeightStorage::float32); }

void layers::saveModel(const LayersModel& model, const std::string& dirPath, WeightStorage storage) {
  layers::Model& m = model.impl();
  fs::path dir(dirPath);
  std::error_code ec;
  std::vector<layers::NamedWeight> named;
  std::function<void(layers::Model&)> collect = [&](layers::Model& mm) {
    for (auto& l : mm.layers) {
      if (auto* inner = dynamic_cast<layers::Model*>(l.get())) {
        collect(*inner);
        continue;
      }
      for (auto& w : l->ownWeights()) named.push_back({l->name() + "/" + w.name, w.value});
    }
  };
  collect(m);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> shards;
  Json group = layers::encodeWeights(named, kShardBytes, shards, storage);
  Json topology{{"class_name", m.isSequential() ? "Sequential" : "Model"},
                {"config", m.toConfig()},
                {"keras_version", "tfjs-layers 4.22.0"},
                {"backend", "tensor_flow.js"}};
  Json out{{"modelTopology", topology},
           {"format", "layers-model"},
           {"generatedBy", "Strata 0.1.0"},
           {"convertedBy", nullptr},
           {"weightsManifest", Json::array({group})}};
  if (m.config().contains("__trainingConfig")) out["trainingConfig"] = m.config()["__trainingConfig"];
  if (m.config().contains("__userDefinedMetadata")) out["userDefinedMetadata"] = m.config()["__userDefinedMetadata"];
  std::string text = out.dump();
  shards.emplace_back("model.json", std::vector<uint8_t>(text.begin(), text.end()));
  // Only now, with everything encoded (encoding can fail), does anything touch the disk.
  const bool created = !fs::exists(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) throw Error("save: cannot create directory '" + dir.string() + "': " + ec.message());

  // Write everything under temporary names first, then rename: a failure leaves no partial model.
  std::string suffix = ".tmp-" + std::to_string(::getpid());
  std::vector<fs::path> written;
  auto cleanup = [&] {
    for (auto& f : written) fs::remove(f, ec);
    if (created) fs::remove(dir, ec);  // only if empty: a directory this call made
  };
  for (auto& [name, bytes] : shards) {
    fs::path tmp = dir / (name + suffix);
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    written.push_back(tmp);
    if (!f || !f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())) ||
        !f.flush()) {
      cleanup();
      throw Error("save: cannot write '" + (dir / name).string() + "'");
    }
  }
  for (auto& [name, bytes] : shards) {
    fs::rename(dir / (name + suffix), dir / name, ec);
    if (ec) {
      cleanup();
      throw Error("save: cannot rename into '" + (dir / name).string() + "': " + ec.message());
    }
  }
}

}  // namespace strata
