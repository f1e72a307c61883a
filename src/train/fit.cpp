// fit, fitDataset, evaluate and trainOnBatch (tfjs-layers' fitLoop/testLoop semantics): batches
// in order (or shuffled each epoch), the epoch's logged values averaged over samples, validation
// after the epoch's last update, weights restored if training fails.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "models/model.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/models.h"
#include "strata/ops.h"
#include "train/callback_list.h"
#include "train/training_state.h"

namespace strata {

namespace {

using train::TrainingState;

// Host values of one batch's returned scalars, named; the tensors are disposed.
Logs toLogs(const TrainingState& st, std::vector<Tensor>& values) {
  Logs logs;
  for (size_t i = 0; i < values.size(); ++i) {
    logs[st.metricsNames[i]] = values[i].dataSync<float>()[0];
    values[i].dispose();
  }
  return logs;
}

Tensor rows(const Tensor& x, const Tensor& indices) { return gather(x, indices, 0); }

std::vector<Tensor> takeRows(const std::vector<Tensor>& xs, const Tensor& indices) {
  std::vector<Tensor> out;
  for (const Tensor& x : xs) out.push_back(rows(x, indices));
  return out;
}

Tensor rangeIndices(const std::vector<int32_t>& order, size_t begin, size_t end) {
  return tensorInt(std::vector<int32_t>(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                        order.begin() + static_cast<std::ptrdiff_t>(end)),
                   {static_cast<int64_t>(end - begin)});
}

// Per-sample weights from classWeight (tfjs-layers standardizeWeights): the class is the argmax
// of one-hot targets, else the target value itself.
Tensor classSampleWeights(const Tensor& y, const std::map<int, float>& classWeight) {
  std::vector<float> classes;
  if (y.rank() == 1 || (y.rank() == 2 && y.shape()[1] == 1)) {
    classes = cast(y, DType::float32).dataSync<float>();
  } else if (y.rank() == 2) {
    for (int32_t c : argMax(y, 1).dataSync<int32_t>()) classes.push_back(static_cast<float>(c));
  } else {
    throw Error("fit: classWeight needs targets of rank 1 or 2, got shape " + shapeString(y.shape()));
  }
  std::vector<float> w;
  for (float c : classes) {
    auto it = classWeight.find(static_cast<int>(std::lround(c)));
    if (it == classWeight.end())
      throw Error("fit: classWeight must contain every class in the training data; class " +
                  std::to_string(static_cast<int>(std::lround(c))) + " is missing");
    w.push_back(it->second);
  }
  return tensor(w, {static_cast<int64_t>(w.size())});
}

// Sample-weighted average of every logged value over batches (tfjs-layers' testLoop).
Logs evaluateBatches(layers::Model& m, TrainingState& st, const std::vector<Tensor>& xs,
                     const std::vector<Tensor>& ys, const Tensor& sampleWeight, int batchSize) {
  const int64_t n = xs[0].shape()[0];
  if (n == 0) throw Error("evaluate: model '" + m.name() + "': no samples");
  Logs sums;
  for (int64_t start = 0; start < n; start += batchSize) {
    const int64_t len = std::min<int64_t>(batchSize, n - start);
    Logs batch = tidy([&] {
      auto cut = [&](const Tensor& t) {
        std::vector<int64_t> begin(t.rank(), 0), size(t.shape().begin(), t.shape().end());
        begin[0] = start;
        size[0] = len;
        return slice(t, begin, size);
      };
      std::vector<Tensor> bx, by, sw;
      for (const Tensor& x : xs) bx.push_back(cut(x));
      for (const Tensor& y : ys) by.push_back(cut(y));
      if (sampleWeight.defined()) sw.assign(ys.size(), cut(sampleWeight));
      auto values = train::runBatch(m, st, bx, by, sw, false);
      return toLogs(st, values);
    });
    for (const auto& [k, v] : batch) sums[k] += v * static_cast<double>(len);
  }
  for (auto& [k, v] : sums) v /= static_cast<double>(n);
  return sums;
}

// Tensors fit() makes for the whole run (splits, weights), disposed when it returns or throws.
struct Owned {
  std::vector<Tensor> tensors;
  Tensor operator()(Tensor t) {
    tensors.push_back(t);
    return t;
  }
  ~Owned() { for (auto& t : tensors) t.dispose(); }
};

struct Snapshot {
  std::vector<Tensor> weights;
  ~Snapshot() { for (auto& w : weights) w.dispose(); }
};

void checkFinite(const Logs& logs, int epoch, int batch, const std::string& model) {
  auto it = logs.find("loss");
  if (it != logs.end() && !std::isfinite(it->second))
    throw Error("fit: model '" + model + "': loss is " + (std::isnan(it->second) ? "NaN" : "infinite") + " at epoch " +
                std::to_string(epoch + 1) + ", batch " + std::to_string(batch + 1) +
                " (try a lower learning rate or check the data); the weights from before fit() were restored");
}

// The shared epoch loop of fit() and fitDataset(): `runEpoch` trains one epoch, calling `onBatch`
// per batch, and returns nothing; validation (if any) is added to the epoch logs.
struct LoopArgs {
  int epochs, initialEpoch, verbose;
  int64_t stepsPerEpoch;
  std::vector<CallbackPtr> user;
  std::function<Logs()> validate;  // empty = no validation
};

History runLoop(const LayersModel& handle, TrainingState& st, const LoopArgs& a,
                const std::function<void(int epoch, const std::function<void(Logs&)>& batchDone,
                                         const std::function<void(int, Logs&)>& batchBegin,
                                         const std::function<void(int, Logs&)>& batchEnd)>& runEpoch) {
  History history;
  train::CallbackList list;
  if (a.verbose > 0) list.callbacks.push_back(std::make_shared<train::ProgressPrinter>(a.verbose, a.epochs, a.stepsPerEpoch));
  for (const auto& c : a.user) list.callbacks.push_back(c);
  LayersModel self = handle;
  for (auto& c : list.callbacks) c->model = &self;

  Snapshot before{handle.getWeights()};
  st.stopTraining = false;
  try {
    Logs none;
    list.trainBegin(none);
    for (int epoch = a.initialEpoch; epoch < a.epochs; ++epoch) {
      Logs epochLogs;
      list.epochBegin(epoch, epochLogs);
      Logs sums;
      double seen = 0;
      runEpoch(
          epoch,
          [&](Logs& batchLogs) {
            const double size = batchLogs["size"];
            seen += size;
            history.batchLoss.push_back(batchLogs["loss"]);
            for (const auto& [k, v] : batchLogs)
              if (k != "batch" && k != "size") sums[k] += v * size;
            checkFinite(batchLogs, epoch, static_cast<int>(batchLogs["batch"]), handle.name());
          },
          [&](int b, Logs& l) { list.batchBegin(b, l); }, [&](int b, Logs& l) { list.batchEnd(b, l); });
      for (const auto& [k, v] : sums) epochLogs[k] = v / seen;
      if (a.validate)
        for (const auto& [k, v] : a.validate()) epochLogs["val_" + k] = v;
      list.epochEnd(epoch, epochLogs);
      history.epoch.push_back(epoch);
      for (const auto& [k, v] : epochLogs) history.history[k].push_back(v);
      if (st.stopTraining) break;
    }
    list.trainEnd(none);
  } catch (...) {
    // A failed fit leaves the model as it was.
    handle.setWeights(before.weights);
    throw;
  }
  return history;
}

}  // namespace

History LayersModel::fit(const Tensor& x, const Tensor& y, const FitArgs& args) const {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, args);
}

History LayersModel::fit(const std::vector<Tensor>& xsIn, const std::vector<Tensor>& ysIn, const FitArgs& args) const {
  layers::Model& m = impl();
  TrainingState& st = train::compiledState(m, "fit");
  train::checkData(m, st, xsIn, ysIn, "fit");
  if (args.batchSize <= 0) throw Error("fit: batchSize must be positive, got " + std::to_string(args.batchSize));
  if (args.epochs < 0 || args.initialEpoch < 0)
    throw Error("fit: epochs and initialEpoch must be >= 0, got " + std::to_string(args.epochs) + " and " +
                std::to_string(args.initialEpoch));
  if (!(args.validationSplit >= 0 && args.validationSplit < 1))
    throw Error("fit: validationSplit must be in [0, 1), got " + std::to_string(args.validationSplit));

  std::vector<Tensor> xs = xsIn, ys = ysIn, valX, valY;
  int64_t n = xs[0].shape()[0];
  Owned owned;
  auto cutRows = [&owned](const Tensor& t, int64_t begin, int64_t len) {
    std::vector<int64_t> b(t.rank(), 0), s(t.shape().begin(), t.shape().end());
    b[0] = begin;
    s[0] = len;
    return owned(slice(t, b, s));
  };
  if (args.validationData) {
    train::checkData(m, st, args.validationData->xs, args.validationData->ys, "fit (validationData)");
    valX = args.validationData->xs;
    valY = args.validationData->ys;
  } else if (args.validationSplit > 0) {
    // As tfjs-layers: the last fraction of the samples, before any shuffling.
    const int64_t splitAt = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - args.validationSplit)));
    if (splitAt <= 0 || splitAt >= n)
      throw Error("fit: validationSplit " + std::to_string(args.validationSplit) + " of " + std::to_string(n) +
                  " samples leaves no training or no validation samples");
    for (auto* group : {&xs, &ys}) {
      auto& val = group == &xs ? valX : valY;
      for (Tensor& t : *group) {
        val.push_back(cutRows(t, splitAt, n - splitAt));
        t = cutRows(t, 0, splitAt);
      }
    }
    n = splitAt;
  }
  if (n == 0) throw Error("fit: model '" + name() + "': no training samples");

  Tensor sampleWeight;
  if (args.sampleWeight.defined()) {
    if (args.sampleWeight.rank() != 1 || args.sampleWeight.shape()[0] < n)
      throw Error("fit: sampleWeight must have shape [samples] = [" + std::to_string(xsIn[0].shape()[0]) + "], got " +
                  shapeString(args.sampleWeight.shape()));
    sampleWeight = cutRows(owned(cast(args.sampleWeight, DType::float32)), 0, n);
  }
  std::vector<Tensor> classWeights;
  if (!args.classWeight.empty())
    for (const Tensor& y : ys) classWeights.push_back(owned(tidy([&] { return classSampleWeights(y, args.classWeight); })));

  std::mt19937_64 rng(args.seed ? *args.seed : std::random_device{}());
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const int64_t steps = (n + args.batchSize - 1) / args.batchSize;

  LoopArgs loop{args.epochs, args.initialEpoch, args.verbose, steps, args.callbacks, {}};
  if (!valX.empty()) loop.validate = [&] { return evaluateBatches(m, st, valX, valY, Tensor(), args.batchSize); };

  History h = runLoop(*this, st, loop, [&](int epoch, auto batchDone, auto batchBegin, auto batchEnd) {
    if (args.shuffle) std::shuffle(order.begin(), order.end(), rng);
    for (int64_t b = 0; b < steps; ++b) {
      const size_t begin = static_cast<size_t>(b * args.batchSize);
      const size_t end = std::min<size_t>(begin + args.batchSize, static_cast<size_t>(n));
      Logs logs{{"batch", static_cast<double>(b)}, {"size", static_cast<double>(end - begin)}};
      batchBegin(static_cast<int>(b), logs);
      Logs values = tidy([&] {
        Tensor idx = rangeIndices(order, begin, end);
        std::vector<Tensor> sw;
        for (size_t o = 0; o < ys.size(); ++o) {
          Tensor w;
          if (sampleWeight.defined()) w = rows(sampleWeight, idx);
          if (!classWeights.empty()) w = w.defined() ? mul(w, rows(classWeights[o], idx)) : rows(classWeights[o], idx);
          sw.push_back(w);
        }
        auto out = train::runBatch(m, st, takeRows(xs, idx), takeRows(ys, idx), sw, true);
        return toLogs(st, out);
      });
      logs.insert(values.begin(), values.end());
      batchDone(logs);
      batchEnd(static_cast<int>(b), logs);
      if (st.stopTraining) break;
    }
  });
  return h;
}

History LayersModel::fitDataset(const std::function<BatchIterator()>& makeIterator, const FitDatasetArgs& args) const {
  layers::Model& m = impl();
  TrainingState& st = train::compiledState(m, "fitDataset");
  if (!makeIterator) throw Error("fitDataset: no iterator factory given");
  if (args.batchesPerEpoch < 0)
    throw Error("fitDataset: batchesPerEpoch must be >= 0, got " + std::to_string(args.batchesPerEpoch));
  std::vector<Tensor> valX, valY;
  if (args.validationData) {
    train::checkData(m, st, args.validationData->xs, args.validationData->ys, "fitDataset (validationData)");
    valX = args.validationData->xs;
    valY = args.validationData->ys;
  }
  LoopArgs loop{args.epochs, args.initialEpoch, args.verbose, args.batchesPerEpoch, args.callbacks, {}};
  if (!valX.empty()) loop.validate = [&] { return evaluateBatches(m, st, valX, valY, Tensor(), 32); };
  // With batchesPerEpoch the iterator runs on across epochs (TF.js); otherwise one pass each.
  BatchIterator it;
  return runLoop(*this, st, loop, [&](int epoch, auto batchDone, auto batchBegin, auto batchEnd) {
    if (!it || args.batchesPerEpoch == 0) it = makeIterator();
    for (int b = 0; args.batchesPerEpoch == 0 || b < args.batchesPerEpoch; ++b) {
      std::optional<Batch> batch = it();
      if (!batch) {
        if (args.batchesPerEpoch > 0)
          throw Error("fitDataset: the iterator ended after " + std::to_string(b) + " batches in epoch " +
                      std::to_string(epoch + 1) + ", but batchesPerEpoch is " + std::to_string(args.batchesPerEpoch));
        break;
      }
      train::checkData(m, st, batch->xs, batch->ys, "fitDataset");
      Logs logs{{"batch", static_cast<double>(b)}, {"size", static_cast<double>(batch->xs[0].shape()[0])}};
      batchBegin(b, logs);
      Logs values = tidy([&] {
        auto out = train::runBatch(m, st, batch->xs, batch->ys, {}, true);
        return toLogs(st, out);
      });
      logs.insert(values.begin(), values.end());
      batchDone(logs);
      batchEnd(b, logs);
      if (st.stopTraining) break;
    }
  });
}

Logs LayersModel::evaluate(const Tensor& x, const Tensor& y, const EvaluateArgs& args) const {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, args);
}

Logs LayersModel::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const EvaluateArgs& args) const {
  layers::Model& m = impl();
  TrainingState& st = train::compiledState(m, "evaluate");
  train::checkData(m, st, xs, ys, "evaluate");
  if (args.batchSize <= 0) throw Error("evaluate: batchSize must be positive, got " + std::to_string(args.batchSize));
  Logs logs = evaluateBatches(m, st, xs, ys, args.sampleWeight, args.batchSize);
  if (args.verbose > 0) std::printf("%s\n", train::formatLogs(logs).c_str());
  return logs;
}

Logs LayersModel::trainOnBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) const {
  layers::Model& m = impl();
  TrainingState& st = train::compiledState(m, "trainOnBatch");
  train::checkData(m, st, xs, ys, "trainOnBatch");
  return tidy([&] {
    auto out = train::runBatch(m, st, xs, ys, {}, true);
    return toLogs(st, out);
  });
}

}  // namespace strata
