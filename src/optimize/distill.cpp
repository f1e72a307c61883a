// Knowledge distillation (include/strata/optimize/distill.h): the loss of Hinton et al. 2015 in
// ops, logits from softmax models through a softmax-free copy, and the student's training loop.
// The student trains as that copy and gets its weights back only when training succeeded.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "models/model.h"
#include "models/weight_policies.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/grad.h"
#include "strata/ops.h"
#include "strata/optimize/distill.h"

namespace strata {

namespace {

using layers::Json;

std::string shapeWithNull(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + (s[i] < 0 ? std::string("null") : std::to_string(s[i]));
  return out + "]";
}

// "linear", "softmax", ... of an activation config (a name or {"class_name": ...}); "" if none.
std::string activationName(const Json& config) {
  if (!config.contains("activation") || config["activation"].is_null()) return "";
  const Json& a = config["activation"];
  if (a.is_string()) return a.get<std::string>();
  if (a.is_object() && a.contains("class_name")) {
    std::string c = a["class_name"].get<std::string>();
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return c;
  }
  return "?";
}

void checkSingleIo(const layers::Model& m, const char* role) {
  if (m.inputs.size() != 1 || m.outputs.size() != 1)
    throw Error(std::string("distill: the ") + role + " '" + m.name() + "' has " + std::to_string(m.inputs.size()) +
                " inputs and " + std::to_string(m.outputs.size()) + " outputs; distillation needs one of each");
}

// A copy of `model` (same weights) whose output layer computes logits: a final softmax becomes
// "linear". Training the copy leaves `model` untouched.
LayersModel logitsCopy(const LayersModel& model, const char* role) {
  layers::Model& m = model.impl();
  checkSingleIo(m, role);
  const layers::Layer& out = *m.layers[static_cast<size_t>(m.outputs[0].layer)];
  const std::string where = std::string("distill: the ") + role + " '" + m.name() + "' ends in " + out.describe();
  if (dynamic_cast<const layers::Model*>(&out))
    throw Error(where + ", a nested model; distillation needs the output layer itself (softmax or logits)");
  Json config = m.toConfig();
  Json* entry = nullptr;
  for (Json& e : config["layers"])
    if (e["config"].value("name", "") == out.name()) entry = &e;
  if (!entry) throw Error(where + ", which its config does not list");
  const std::string cls = (*entry)["class_name"].get<std::string>();
  if (cls == "Softmax") {
    const Json& a = (*entry)["config"].contains("axis") ? (*entry)["config"]["axis"] : Json(-1);
    const int axis = a.is_array() && a.size() == 1 ? a[0].get<int>() : a.is_number_integer() ? a.get<int>() : -2;
    if (axis != -1 && axis != static_cast<int>(m.outputShapesOfModel()[0].size()) - 1)
      throw Error(where + " over axis " + std::to_string(axis) + "; distillation needs the softmax over the last axis");
    (*entry)["class_name"] = "Activation";
    (*entry)["config"] = Json{{"name", out.name()}, {"trainable", out.trainable()}, {"activation", "linear"}};
  } else {
    const std::string act = activationName((*entry)["config"]);
    if (act == "softmax") (*entry)["config"]["activation"] = "linear";
    else if (!act.empty() && act != "linear")
      throw Error(where + " with activation '" + act +
                  "'; distillation needs a softmax output or logits (activation 'linear')");
  }
  std::shared_ptr<layers::Model> copy;
  tidy([&] {
    copy = std::make_shared<layers::Model>(m.isSequential() ? "Sequential" : "Model", config,
                                           "distill: " + std::string(role) + " '" + m.name() + "'");
  });
  LayersModel result(copy);
  std::vector<Tensor> w = model.getWeights();
  result.setWeights(w);
  for (Tensor& t : w) t.dispose();
  return result;
}

// Trainable variables as fit() trains them: a frozen layer (or enclosing model) trains nothing.
void collectTrainable(layers::Layer& l, bool parentTrainable, std::vector<Variable>& out) {
  const bool t = parentTrainable && l.trainable();
  if (auto* m = dynamic_cast<layers::Model*>(&l)) {
    for (auto& inner : m->layers) collectTrainable(*inner, t, out);
    return;
  }
  if (!t) return;
  for (layers::Weight* w : l.allWeights())
    if (w->trainable) out.push_back(w->value);
}

OptimizerPtr resolveOptimizer(const OptimizerSpec& spec) {
  if (spec.optimizer) return spec.optimizer;
  if (spec.name.find('{') != std::string::npos) return optimizerFromJson(nlohmann::json::parse(spec.name));
  return getOptimizer(spec.name.empty() ? "adam" : spec.name);
}

// One-hot float32 targets [n, classes] from one-hot or class-index labels.
Tensor oneHotLabels(const Tensor& y, int64_t classes, const std::string& where) {
  const Shape& s = y.shape();
  if (s.size() == 2 && s[1] == classes) return cast(y, DType::float32);
  if (s.size() == 1 || (s.size() == 2 && s[1] == 1))
    return oneHot(cast(reshape(y, {s[0]}), DType::int32), static_cast<int>(classes), 1, 0, DType::float32);
  throw Error(where + ": labels have shape " + shapeString(s) + "; expected one-hot [n, " + std::to_string(classes) +
              "] or class indices [n]");
}

void validate(const DistillArgs& a) {
  if (!(a.temperature > 0.0f) || !std::isfinite(a.temperature))
    throw Error("distill: temperature must be > 0, got " + std::to_string(a.temperature));
  if (!(a.alpha >= 0.0f && a.alpha <= 1.0f))
    throw Error("distill: alpha must be in [0, 1], got " + std::to_string(a.alpha));
  if (a.epochs < 0) throw Error("distill: epochs must be >= 0, got " + std::to_string(a.epochs));
  if (a.batchSize <= 0) throw Error("distill: batchSize must be positive, got " + std::to_string(a.batchSize));
}

}  // namespace

DistillLoss distillationLoss(const Tensor& labels, const Tensor& studentLogits, const Tensor& teacherLogits,
                             float temperature, float alpha) {
  if (studentLogits.rank() != 2 || studentLogits.shape() != teacherLogits.shape())
    throw Error("distillationLoss: student logits " + shapeString(studentLogits.shape()) + " and teacher logits " +
                shapeString(teacherLogits.shape()) + " must both be [batch, classes]");
  Tensor y = oneHotLabels(labels, studentLogits.shape()[1], "distillationLoss");
  Tensor hard = mean(neg(sum(mul(y, logSoftmax(studentLogits)), {-1})));
  Tensor invT = scalar(1.0f / temperature);
  Tensor logP = logSoftmax(mul(teacherLogits, invT));  // teacher, softened
  Tensor logQ = logSoftmax(mul(studentLogits, invT));  // student, softened
  Tensor soft = mean(sum(mul(exp(logP), sub(logP, logQ)), {-1}));
  Tensor loss = add(mul(hard, scalar(alpha)), mul(soft, scalar((1.0f - alpha) * temperature * temperature)));
  return {loss, hard, soft};
}

Tensor predictLogits(const LayersModel& model, const Tensor& x, int batchSize) {
  LayersModel copy = logitsCopy(model, "model");
  return copy.predict(x, {.batchSize = batchSize});
}

History distill(const LayersModel& teacher, const LayersModel& student, const Tensor& x, const Tensor& y,
                const DistillArgs& args) {
  validate(args);
  checkSingleIo(teacher.impl(), "teacher");
  checkSingleIo(student.impl(), "student");
  const Shape ts = teacher.impl().outputShapesOfModel()[0], ss = student.impl().outputShapesOfModel()[0];
  if (ts.size() != 2 || ts[1] < 0)
    throw Error("distill: the teacher '" + teacher.name() + "' outputs shape " + shapeWithNull(ts) +
                "; distillation needs [batch, classes]");
  if (ss != ts)
    throw Error("distill: the student '" + student.name() + "' outputs shape " + shapeWithNull(ss) +
                " but the teacher '" + teacher.name() + "' outputs " + shapeWithNull(ts) +
                "; the student's output must match the teacher's");
  if (!x.defined() || x.rank() == 0 || !y.defined() || y.rank() == 0)
    throw Error("distill: x and y must be tensors with a sample axis");
  const int64_t n = x.shape()[0];
  if (y.shape()[0] != n)
    throw Error("distill: x has " + std::to_string(n) + " samples but y has " + std::to_string(y.shape()[0]));
  if (n == 0) throw Error("distill: no training samples");

  LayersModel trainee = logitsCopy(student, "student");
  std::vector<Tensor> owned;
  auto own = [&owned](const Tensor& t) {
    owned.push_back(keep(t));
    return t;
  };
  OptimizerPtr optimizer = resolveOptimizer(args.optimizer);
  // Slots of an optimizer made here are freed at the end; a caller's optimizer keeps its state.
  const bool ownOptimizer = !args.optimizer.optimizer;
  History history;
  try {
    const Tensor labels = own(tidy([&] { return oneHotLabels(y, ts[1], "distill"); }));
    // The teacher runs once, in inference mode; its logits are reused every epoch.
    const Tensor teacherLogits = own(tidy([&] { return predictLogits(teacher, x, 256); }));
    std::vector<Variable> vars;
    collectTrainable(trainee.impl(), true, vars);
    layers::Model& net = trainee.impl();

    std::mt19937_64 rng(args.seed ? *args.seed : std::random_device{}());
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    const char* names[] = {"loss", "hard", "soft", "acc"};
    for (int epoch = 0; epoch < args.epochs; ++epoch) {
      const auto start = std::chrono::steady_clock::now();
      if (args.shuffle) std::shuffle(order.begin(), order.end(), rng);
      double sums[4] = {0, 0, 0, 0};
      for (int64_t begin = 0; begin < n; begin += args.batchSize) {
        const int64_t len = std::min<int64_t>(args.batchSize, n - begin);
        std::vector<float> values = tidy([&] {
          Tensor idx = tensorInt(std::vector<int32_t>(order.begin() + begin, order.begin() + begin + len), {len});
          Tensor bx = gather(x, idx), by = gather(labels, idx), bt = gather(teacherLogits, idx);
          std::vector<Tensor> logged;
          VariableGradsResult r = variableGrads(
              [&] {
                Tensor zs = net.predictBatch({bx}, true)[0];
                DistillLoss d = distillationLoss(by, zs, bt, args.temperature, args.alpha);
                Tensor acc = mean(cast(equal(argMax(zs, 1), argMax(by, 1)), DType::float32));
                logged = {keep(d.loss), keep(d.hard), keep(d.soft), keep(acc)};
                Tensor total = d.loss;
                if (Tensor reg = layers::regularizationLoss(net); reg.defined()) total = add(total, reg);
                return total;
              },
              vars);
          std::vector<VariableGradient> grads;
          for (const Variable& v : vars)
            if (auto g = r.grads.find(v.name()); g != r.grads.end()) grads.push_back({v, g->second});
          optimizer->applyGradients(grads);
          layers::applyConstraints(net);
          std::vector<float> out;
          for (Tensor& t : logged) {
            out.push_back(t.item<float>());
            t.dispose();
          }
          return out;
        });
        if (!std::isfinite(values[0]))
          throw Error("distill: the loss is " + std::string(std::isnan(values[0]) ? "NaN" : "infinite") + " at epoch " +
                      std::to_string(epoch + 1) + " (try a lower learning rate or temperature); the student '" +
                      student.name() + "' was not changed");
        for (int k = 0; k < 4; ++k) sums[k] += static_cast<double>(values[static_cast<size_t>(k)]) * static_cast<double>(len);
      }
      history.epoch.push_back(epoch);
      for (int k = 0; k < 4; ++k) history.history[names[k]].push_back(sums[k] / static_cast<double>(n));
      if (args.verbose > 0) {
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("Epoch %d/%d - %.1fs - loss: %.4g - hard: %.4g - soft: %.4g - acc: %.4g\n", epoch + 1, args.epochs,
                    sec, sums[0] / n, sums[1] / n, sums[2] / n, sums[3] / n);
        std::fflush(stdout);
      }
    }
  } catch (...) {
    for (Tensor& t : owned) t.dispose();
    if (ownOptimizer) optimizer->dispose();
    throw;
  }
  for (Tensor& t : owned) t.dispose();
  if (ownOptimizer) optimizer->dispose();
  std::vector<Tensor> trained = trainee.getWeights();
  student.setWeights(trained);
  for (Tensor& t : trained) t.dispose();
  return history;
}

}  // namespace strata
