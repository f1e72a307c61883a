// The callbacks fit() runs, in tfjs-layers' order: the epoch averager (BaseLogger), the progress
// printer, the user's callbacks, then History.
#pragma once

#include <chrono>
#include <vector>

#include "strata/training.h"

namespace strata::train {

/// Keras-style progress: verbose 1 = a bar with ETA (redrawn in place on a terminal, only the
/// final line per epoch otherwise), 2 = one line per epoch.
class ProgressPrinter : public Callback {
 public:
  ProgressPrinter(int verbose, int epochs, int64_t stepsPerEpoch) : verbose_(verbose), epochs_(epochs), steps_(stepsPerEpoch) {}
  void onEpochBegin(int epoch, Logs& logs) override;
  void onBatchEnd(int batch, Logs& logs) override;
  void onEpochEnd(int epoch, Logs& logs) override;

 private:
  void draw(int64_t step, const Logs& logs, bool final);
  int verbose_, epochs_;
  int64_t steps_;
  int64_t seen_ = 0;
  Logs running_;  // batch-size-weighted sums for the running averages shown
  double weight_ = 0;
  std::chrono::steady_clock::time_point start_, lastDraw_;
  bool tty_ = false;
};

struct CallbackList {
  std::vector<CallbackPtr> callbacks;
  void trainBegin(Logs& l) { for (auto& c : callbacks) c->onTrainBegin(l); }
  void trainEnd(Logs& l) { for (auto& c : callbacks) c->onTrainEnd(l); }
  void epochBegin(int e, Logs& l) { for (auto& c : callbacks) c->onEpochBegin(e, l); }
  void epochEnd(int e, Logs& l) { for (auto& c : callbacks) c->onEpochEnd(e, l); }
  void batchBegin(int b, Logs& l) { for (auto& c : callbacks) c->onBatchBegin(b, l); }
  void batchEnd(int b, Logs& l) { for (auto& c : callbacks) c->onBatchEnd(b, l); }
};

/// "loss: 0.1234 - acc: 0.9500" (Keras formatting; "batch" and "size" left out).
std::string formatLogs(const Logs& logs);

}  // namespace strata::train
