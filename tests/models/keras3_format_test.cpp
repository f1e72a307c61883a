// Keras 3 writes inbound_nodes as {"args": [...keras tensors...], "kwargs": {...}} and
// InputLayer shapes as batch_shape. A TF.js-written functional model rewritten in that form
// must load and predict exactly as the original.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

Json kerasTensor(const Json& ref) {
  return Json{{"class_name", "__keras_tensor__"},
              {"config", {{"shape", Json::array()}, {"dtype", "float32"}, {"keras_history", {ref[0], ref[1], ref[2]}}}}};
}

// Rewrites a Keras 2 functional config in the Keras 3 forms.
void toKeras3(Json& config) {
  for (auto& layer : config["layers"]) {
    if (layer["class_name"] == "InputLayer" && layer["config"].contains("batch_input_shape")) {
      layer["config"]["batch_shape"] = layer["config"]["batch_input_shape"];
      layer["config"].erase("batch_input_shape");
    }
    Json nodes = Json::array();
    for (const auto& node : layer["inbound_nodes"]) {
      Json args = Json::array();
      Json kwargs = node[0].size() > 3 ? node[0][3] : Json::object();
      if (node.size() == 1) {
        args.push_back(kerasTensor(node[0]));
      } else {
        Json list = Json::array();
        for (const auto& ref : node) list.push_back(kerasTensor(ref));
        args.push_back(list);
      }
      nodes.push_back(Json{{"args", args}, {"kwargs", kwargs}});
    }
    layer["inbound_nodes"] = nodes;
  }
  if (config["input_layers"].size() == 1) config["input_layers"] = config["input_layers"][0];
  if (config["output_layers"].size() == 1) config["output_layers"] = config["output_layers"][0];
}

TEST(Keras3Format, DictInboundNodesLoadAndPredictTheSame) {
  const char* fx = std::getenv("STRATA_FIXTURES");
  fs::path models = fs::path(fx ? fx : "fixtures") / "models";
  st::setBackend("reference");
  int converted = 0;
  for (const auto& entry : fs::directory_iterator(models)) {
    if (!entry.is_directory()) continue;
    Json j = Json::parse(std::ifstream(entry.path() / "model.json"));
    Json& mc = j["modelTopology"].contains("model_config") ? j["modelTopology"]["model_config"] : j["modelTopology"];
    if (mc["class_name"] != "Model" && mc["class_name"] != "Functional") continue;
    bool nested = false;
    for (const auto& l : mc["config"]["layers"]) nested |= l["class_name"] == "Model" || l["class_name"] == "Sequential";
    if (nested) continue;
    toKeras3(mc["config"]);
    mc["class_name"] = "Functional";
    fs::path out = entry.path() / "model_keras3.json";
    std::ofstream(out) << j.dump();
    auto a = st::loadLayersModel((entry.path() / "model.json").string());
    auto b = st::loadLayersModel(out.string());
    std::vector<st::Tensor> xs;
    for (int i = 0; fs::exists(entry.path() / ("input_" + std::to_string(i) + ".npy")); ++i)
      xs.push_back(st::loadNpy((entry.path() / ("input_" + std::to_string(i) + ".npy")).string()));
    auto ya = a.predict(xs), yb = b.predict(xs);
    ASSERT_EQ(ya.size(), yb.size()) << entry.path();
    for (size_t i = 0; i < ya.size(); ++i) EXPECT_EQ(ya[i].dataSync(), yb[i].dataSync()) << entry.path();
    fs::remove(out);
    ++converted;
  }
  EXPECT_GE(converted, 5) << "functional fixtures rewritten in Keras 3 form";
}

}  // namespace
