// LibTorch 1.13 peer of bench/peers (see README.md): MobileNetV2 inference (batch 1 and 8) and
// one epoch of the MNIST CNN's training, timed with the same protocol as strata_peer.cpp and
// tfjs_peer.mjs. Prints one JSON object on stdout.
//
// The MobileNetV2 is the nsfwjs Keras model (alpha 1.0, 224x224x3, ReLU6, BatchNorm eps 1e-3,
// Keras' asymmetric ZeroPadding2D before every stride-2 conv, head AvgPool7-Dense256-Dense128-
// Dense5 softmax) written as torch::nn modules. With --model it loads that model.json's weights
// (uint8-dequantized) and, with --check-input/--check-output, compares its output to TF.js's:
// the proof that the architecture is the same. It runs channels_last, eval(), InferenceMode.
// Two variants are timed: "eager" (Conv -> BatchNorm -> ReLU6 modules, what a LibTorch user
// writes) and "bn_folded" (BatchNorm folded into the conv weights by hand, as Strata does).
//
// Build: g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -I/usr/include/torch/csrc/api/include \
//          libtorch_peer.cpp -ltorch -ltorch_cpu -lc10 -o libtorch_peer     (run.sh does this)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn = torch::nn;
namespace F = torch::nn::functional;
using json = nlohmann::json;

namespace {

struct Options {
  std::string model;  // nsfwjs model.json; empty = random weights
  std::string checkInput, checkOutput;
  int threads = 1, warmup = 3, runs = 10, trainSteps = 125, trainWarmup = 3, batchSize = 64;
  std::vector<int> batches = {1, 8};
  bool trainChannelsLast = false;  // NCHW trains faster in LibTorch 1.13 (measured; see README)
};

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// ---- MobileNetV2 -------------------------------------------------------------------------

// Conv (no bias) + BatchNorm (+ ReLU6). `asymPad` is Keras' ZeroPadding2D(((0,1),(0,1))) in
// front of a 'valid' stride-2 conv; otherwise 3x3 convs are 'same' (pad 1) and 1x1 'valid'.
struct ConvBNImpl : nn::Module {
  ConvBNImpl(std::string convName, std::string bnName, int in, int out, int k, int stride, int groups, bool relu6)
      : convName(std::move(convName)), bnName(std::move(bnName)), stride(stride), groups(groups), relu6(relu6) {
    asymPad = stride == 2 && k == 3;
    pad = (k == 3 && !asymPad) ? 1 : 0;
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad)
                                                  .groups(groups).bias(false)));
    bn = register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-3)));
  }
  torch::Tensor forward(torch::Tensor x) {
    if (asymPad) x = F::pad(x, F::PadFuncOptions({0, 1, 0, 1}));
    torch::Tensor y = folded ? torch::conv2d(x, foldedW, foldedB, stride, pad, 1, groups) : bn(conv(x));
    return relu6 ? y.clamp_(0, 6) : y;
  }
  // w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps).
  void fold() {
    torch::NoGradGuard g;
    auto scale = bn->weight / torch::sqrt(bn->running_var + 1e-3);
    foldedW = (conv->weight * scale.view({-1, 1, 1, 1})).contiguous(torch::MemoryFormat::ChannelsLast);
    foldedB = bn->bias - bn->running_mean * scale;
    folded = true;
  }
  std::string convName, bnName;
  int stride, groups, pad = 0;
  bool relu6, asymPad = false, folded = false;
  nn::Conv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  torch::Tensor foldedW, foldedB;
};
TORCH_MODULE(ConvBN);

// Inverted residual block: [expand 1x1 + ReLU6] -> depthwise 3x3 + ReLU6 -> project 1x1, with
// the identity added when the shapes allow (stride 1, in == out), as Keras' MobileNetV2.
struct BlockImpl : nn::Module {
  BlockImpl(int id, int in, int out, int stride, int expansion) {
    std::string p = id == 0 ? "expanded_conv_" : "block_" + std::to_string(id) + "_";
    int hidden = in * expansion;
    if (expansion != 1) expand = register_module("expand", ConvBN(p + "expand", p + "expand_BN", in, hidden, 1, 1, 1, true));
    depthwise = register_module("depthwise", ConvBN(p + "depthwise", p + "depthwise_BN", hidden, hidden, 3, stride, hidden, true));
    project = register_module("project", ConvBN(p + "project", p + "project_BN", hidden, out, 1, 1, 1, false));
    residual = stride == 1 && in == out;
  }
  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor y = expand ? expand(x) : x;
    y = project(depthwise(y));
    return residual ? y.add_(x) : y;
  }
  ConvBN expand{nullptr}, depthwise{nullptr}, project{nullptr};
  bool residual = false;
};
TORCH_MODULE(Block);

struct MobileNetV2Impl : nn::Module {
  MobileNetV2Impl() {
    stem = register_module("stem", ConvBN("Conv1", "bn_Conv1", 3, 32, 3, 2, 1, true));
    // (expansion t, channels c, repeats n, first stride s) of MobileNetV2, alpha 1.0.
    const int spec[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                            {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int in = 32, id = 0;
    for (const auto& s : spec)
      for (int r = 0; r < s[2]; ++r, ++id) {
        blocks.push_back(register_module("block" + std::to_string(id), Block(id, in, s[1], r == 0 ? s[3] : 1, s[0])));
        in = s[1];
      }
    last = register_module("last", ConvBN("Conv_1", "Conv_1_bn", 320, 1280, 1, 1, 1, true));
    dense1 = register_module("dense_1", nn::Linear(1280, 256));
    dense2 = register_module("dense_2", nn::Linear(256, 128));
    dense3 = register_module("dense_3", nn::Linear(128, 5));
    drop2 = register_module("dropout_2", nn::Dropout(0.5));
    drop3 = register_module("dropout_3", nn::Dropout(0.25));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = stem(x);
    for (auto& b : blocks) x = b(x);
    x = F::avg_pool2d(last(x), F::AvgPool2dFuncOptions(7).stride(7)).flatten(1);
    x = drop2(torch::relu(dense1(x)));
    x = drop3(torch::relu(dense2(x)));
    return torch::softmax(dense3(x), 1);
  }
  std::vector<ConvBN> convBNs() {
    std::vector<ConvBN> all = {stem};
    for (auto& b : blocks)
      for (const ConvBN& c : {b->expand, b->depthwise, b->project})
        if (c) all.push_back(c);
    all.push_back(last);
    return all;
  }
  ConvBN stem{nullptr}, last{nullptr};
  std::vector<Block> blocks;
  nn::Linear dense1{nullptr}, dense2{nullptr}, dense3{nullptr};
  nn::Dropout drop2{nullptr}, drop3{nullptr};
};
TORCH_MODULE(MobileNetV2);

// ---- loading the Keras weights (model.json + shards, TF.js weights manifest) --------------

std::vector<char> readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(f), {});
}

// Name -> dequantized float tensor in Keras layout. Handles float32 and uint8/uint16 affine
// quantization (value = q * scale + min), which is what TF.js converters write.
std::map<std::string, torch::Tensor> loadKerasWeights(const std::string& modelJson) {
  json j = json::parse(readFile(modelJson));
  std::string dir = modelJson.substr(0, modelJson.find_last_of('/') + 1);
  std::map<std::string, torch::Tensor> out;
  for (const auto& group : j.at("weightsManifest")) {
    std::vector<char> data;
    for (const auto& p : group.at("paths")) {
      auto part = readFile(dir + p.get<std::string>());
      data.insert(data.end(), part.begin(), part.end());
    }
    size_t off = 0;
    for (const auto& w : group.at("weights")) {
      std::vector<int64_t> shape = w.at("shape").get<std::vector<int64_t>>();
      int64_t n = 1;
      for (auto d : shape) n *= d;
      std::vector<float> v(n);
      std::string q = w.contains("quantization") ? w["quantization"].at("dtype").get<std::string>() : "";
      if (w.at("dtype") != "float32" || (!q.empty() && q != "uint8" && q != "uint16"))
        throw std::runtime_error("unsupported weight dtype for " + w.at("name").get<std::string>());
      size_t width = q == "uint8" ? 1 : q == "uint16" ? 2 : 4;
      if (off + n * width > data.size()) throw std::runtime_error("shards too short at " + w.at("name").get<std::string>());
      const auto* bytes = reinterpret_cast<const unsigned char*>(data.data() + off);
      if (q.empty()) {
        std::memcpy(v.data(), bytes, n * 4);
      } else {
        float scale = w["quantization"].at("scale"), mn = w["quantization"].at("min");
        for (int64_t i = 0; i < n; ++i) {
          unsigned qv = width == 1 ? bytes[i] : bytes[2 * i] | (bytes[2 * i + 1] << 8);
          v[i] = qv * scale + mn;
        }
      }
      off += n * width;
      out[w.at("name")] = torch::from_blob(v.data(), shape, torch::kFloat).clone();
    }
  }
  return out;
}

void loadMobileNetWeights(MobileNetV2& model, const std::string& modelJson) {
  auto w = loadKerasWeights(modelJson);
  auto take = [&](const std::string& name) {
    auto it = w.find(name);
    if (it == w.end()) throw std::runtime_error(modelJson + " has no weight " + name);
    auto t = it->second;
    w.erase(it);
    return t;
  };
  auto set = [](torch::Tensor& dst, const torch::Tensor& src, const std::string& name) {
    if (dst.sizes() != src.sizes()) {
      std::ostringstream s;
      s << "weight " << name << ": model " << dst.sizes() << " vs file " << src.sizes();
      throw std::runtime_error(s.str());
    }
    dst.copy_(src);
  };
  torch::NoGradGuard g;
  for (auto& c : model->convBNs()) {
    bool dw = c->groups > 1;
    // Keras [kh, kw, in, out] -> torch [out, in, kh, kw]; depthwise [kh, kw, C, 1] -> [C, 1, kh, kw].
    auto k = take(c->convName + (dw ? "/depthwise_kernel" : "/kernel"));
    set(c->conv->weight, dw ? k.permute({2, 3, 0, 1}) : k.permute({3, 2, 0, 1}), c->convName);
    set(c->bn->weight, take(c->bnName + "/gamma"), c->bnName);
    set(c->bn->bias, take(c->bnName + "/beta"), c->bnName);
    set(c->bn->running_mean, take(c->bnName + "/moving_mean"), c->bnName);
    set(c->bn->running_var, take(c->bnName + "/moving_variance"), c->bnName);
  }
  for (auto [name, d] : {std::pair{"dense_1", model->dense1}, {"dense_2", model->dense2}, {"dense_3", model->dense3}}) {
    set(d->weight, take(std::string(name) + "/kernel").t(), name);
    set(d->bias, take(std::string(name) + "/bias"), name);
  }
  if (!w.empty()) throw std::runtime_error(modelJson + ": weight " + w.begin()->first + " has no place in the model");
}

// Little-endian float32 C-order .npy (what the conformance generators write).
torch::Tensor loadNpy(const std::string& path) {
  auto bytes = readFile(path);
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) throw std::runtime_error(path + ": not .npy");
  size_t headerLen = bytes[6] == 1 ? (uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8)) : 0;
  size_t start = bytes[6] == 1 ? 10 : 12;
  if (bytes[6] != 1) headerLen = *reinterpret_cast<const uint32_t*>(bytes.data() + 8);
  std::string header(bytes.data() + start, headerLen);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error(path + ": expected little-endian float32 C-order");
  auto l = header.find('(', header.find("shape")), r = header.find(')', l);
  std::vector<int64_t> shape;
  std::stringstream ss(header.substr(l + 1, r - l - 1));
  for (std::string tok; std::getline(ss, tok, ',');)
    if (tok.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(tok));
  return torch::from_blob(bytes.data() + start + headerLen, shape, torch::kFloat).clone();
}

json timeRuns(const std::function<void()>& fn, const Options& o, int batch) {
  for (int i = 0; i < o.warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(msSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  double median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  return {{"median_ms", median}, {"min_ms", ms.front()}, {"runs", o.runs}, {"warmup", o.warmup},
          {"images_per_s", 1000.0 * batch / median}};
}

json benchMobileNet(const Options& o) {
  torch::manual_seed(1);
  MobileNetV2 model;
  if (!o.model.empty()) loadMobileNetWeights(model, o.model);
  model->eval();
  for (auto& p : model->parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  json r = {{"weights", o.model.empty() ? "random" : "model.json"}};
  torch::InferenceMode guard;
  for (const char* variant : {"eager", "bn_folded"}) {
    if (std::string(variant) == "bn_folded")
      for (auto& c : model->convBNs()) c->fold();
    if (!o.checkInput.empty()) {
      // The fixture's input is NHWC; NCHW channels_last is the same memory, viewed as NCHW.
      auto x = loadNpy(o.checkInput).permute({0, 3, 1, 2});
      auto want = loadNpy(o.checkOutput);
      auto got = model->forward(x);
      r[variant]["check_max_abs_diff"] = (got - want).abs().max().item<double>();
      r[variant]["output_channels_last"] = model->stem->forward(x).is_contiguous(torch::MemoryFormat::ChannelsLast);
    }
    for (int b : o.batches) {
      auto x = torch::rand({b, 3, 224, 224}).contiguous(torch::MemoryFormat::ChannelsLast);
      r[variant]["batch_" + std::to_string(b)] = timeRuns([&] { model->forward(x); }, o, b);
    }
  }
  return r;
}

// ---- MNIST CNN training --------------------------------------------------------------------

// tools/strata/mnist_cnn.cpp: Conv32(3x3, relu) - MaxPool2 - Conv64(3x3, relu) - MaxPool2 -
// Flatten - Dense128(relu) - Dense10(softmax), 'valid' padding, 28x28x1 input.
struct MnistCnnImpl : nn::Module {
  MnistCnnImpl() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 32, 3)));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3)));
    fc1 = register_module("fc1", nn::Linear(5 * 5 * 64, 128));
    fc2 = register_module("fc2", nn::Linear(128, 10));
  }
  // Returns logits; the loss applies log_softmax (the stable form of softmax + log).
  torch::Tensor forward(torch::Tensor x) {
    x = F::max_pool2d(torch::relu(conv1(x)), F::MaxPool2dFuncOptions(2));
    x = F::max_pool2d(torch::relu(conv2(x)), F::MaxPool2dFuncOptions(2));
    // Flatten in Keras' HWC order: a view, no copy, when x is channels_last.
    x = x.permute({0, 2, 3, 1}).flatten(1);
    return fc2(torch::relu(fc1(x)));
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(MnistCnn);

json benchTraining(const Options& o) {
  torch::manual_seed(2);
  MnistCnn model;
  auto format = o.trainChannelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  for (auto& p : model->parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(format));
  // Keras/TF.js Adam: beta1 0.9, beta2 0.999, epsilon 1e-7.
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-7));
  int64_t n = int64_t(o.trainSteps) * o.batchSize;
  auto x = torch::rand({n, 1, 28, 28}).contiguous(format);
  auto y = F::one_hot(torch::randint(10, {n}), 10).to(torch::kFloat);
  double lastLoss = 0;
  auto step = [&](int i) {
    auto xb = x.narrow(0, int64_t(i) * o.batchSize, o.batchSize);
    auto yb = y.narrow(0, int64_t(i) * o.batchSize, o.batchSize);
    // Categorical cross-entropy of the softmax output: mean over the batch of -sum(y log p).
    auto loss = -(yb * torch::log_softmax(model->forward(xb), 1)).sum(1).mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
    lastLoss = loss.item<double>();  // fit() reads each batch's loss too
  };
  for (int i = 0; i < o.trainWarmup; ++i) step(i % o.trainSteps);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.trainSteps; ++i) step(i);
  double s = msSince(t0) / 1000;
  return {{"batch_size", o.batchSize}, {"steps", o.trainSteps}, {"samples", n}, {"seconds", s},
          {"samples_per_s", n / s}, {"extrapolated", false}, {"final_loss", lastLoss},
          {"layout", o.trainChannelsLast ? "channels_last" : "nchw"}, {"warmup_steps", o.trainWarmup}};
}

// Which BLAS libtorch resolved (Debian's default libblas.so.3 is the slow reference BLAS;
// LibTorch's Linear/matmul go through it, its convolutions through oneDNN).
std::string loadedLibrary(const std::string& needle) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (auto p = line.find('/'); p != std::string::npos && line.find(needle, p) != std::string::npos) return line.substr(p);
  return "";
}

std::vector<int> parseInts(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  for (std::string tok; std::getline(ss, tok, ',');) v.push_back(std::stoi(tok));
  return v;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--model") o.model = next();
    else if (a == "--check-input") o.checkInput = next();
    else if (a == "--check-output") o.checkOutput = next();
    else if (a == "--threads") o.threads = std::stoi(next());
    else if (a == "--warmup") o.warmup = std::stoi(next());
    else if (a == "--runs") o.runs = std::stoi(next());
    else if (a == "--batches") o.batches = parseInts(next());
    else if (a == "--train-steps") o.trainSteps = std::stoi(next());
    else if (a == "--train-warmup") o.trainWarmup = std::stoi(next());
    else if (a == "--train-layout") o.trainChannelsLast = next() == "channels_last";
    else throw std::runtime_error("unknown option " + a);
  }
  if (o.runs < 1 || o.trainSteps < 1 || o.threads < 1) throw std::runtime_error("--runs, --train-steps and --threads must be >= 1");
  if (o.checkInput.empty() != o.checkOutput.empty()) throw std::runtime_error("give both --check-input and --check-output");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parseArgs(argc, argv);
    torch::set_num_threads(o.threads);
    json r = {{"peer", "libtorch"}, {"version", TORCH_VERSION}, {"backend", "cpu (oneDNN convolutions, OpenMP)"},
              {"threads", at::get_num_threads()}, {"mkldnn", at::hasMKLDNN()}, {"blas", loadedLibrary("libblas")}};
    r["mobilenet_v2"] = benchMobileNet(o);
    r["mnist_cnn_train"] = benchTraining(o);
    std::cout << r.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "libtorch_peer: " << e.what() << "\n";
    return 1;
  }
}
