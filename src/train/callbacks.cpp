// Built-in callbacks: progress printing, EarlyStopping, ModelCheckpoint, the history logger and
// callbacks from lambdas; History::toJson.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "strata/error.h"
#include "strata/models.h"
#include "train/callback_list.h"

namespace strata {

namespace fs = std::filesystem;

nlohmann::json History::toJson() const {
  nlohmann::json h = nlohmann::json::object();
  for (const auto& [k, v] : history) h[k] = v;
  return {{"epoch", epoch}, {"history", h}, {"batchLoss", batchLoss}};
}

namespace train {

std::string formatLogs(const Logs& logs) {
  std::string out;
  char buf[64];
  auto emit = [&](const std::string& k, double v) {
    if (k == "batch" || k == "size") return;
    std::snprintf(buf, sizeof buf, "%.4f", v);
    out += (out.empty() ? "" : " - ") + k + ": " + buf;
  };
  // Keras order: loss first, then the rest, validation values last.
  if (auto it = logs.find("loss"); it != logs.end()) emit("loss", it->second);
  for (const auto& [k, v] : logs)
    if (k != "loss" && k.rfind("val_", 0) != 0) emit(k, v);
  for (const auto& [k, v] : logs)
    if (k.rfind("val_", 0) == 0) emit(k, v);
  return out;
}

namespace {
std::string duration(double seconds) {
  char buf[32];
  if (seconds >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(seconds) / 3600, int(seconds) % 3600 / 60, int(seconds) % 60);
  else if (seconds >= 60) std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds) / 60, int(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%ds", int(std::lround(seconds)));
  return buf;
}
}  // namespace

void ProgressPrinter::onEpochBegin(int epoch, Logs&) {
  start_ = lastDraw_ = std::chrono::steady_clock::now();
  seen_ = 0;
  running_.clear();
  weight_ = 0;
  tty_ = isatty(STDOUT_FILENO);
  if (verbose_ == 1) std::printf("Epoch %d/%d\n", epoch + 1, epochs_);
  std::fflush(stdout);
}

void ProgressPrinter::onBatchEnd(int batch, Logs& logs) {
  ++seen_;
  const double size = logs.count("size") ? logs.at("size") : 1.0;
  for (const auto& [k, v] : logs)
    if (k != "batch" && k != "size") running_[k] += v * size;
  weight_ += size;
  if (verbose_ != 1 || !tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - lastDraw_).count() < 0.1 && seen_ != steps_) return;
  lastDraw_ = now;
  Logs avg;
  for (const auto& [k, v] : running_) avg[k] = v / weight_;
  draw(seen_, avg, false);
}

void ProgressPrinter::draw(int64_t step, const Logs& logs, bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line;
  if (steps_ > 0) {
    const int width = 30;
    const int done = static_cast<int>(width * std::min<int64_t>(step, steps_) / steps_);
    std::string bar(done, '=');
    if (done < width) bar += '>' + std::string(width - done - 1, '.');
    std::string count = std::to_string(step) + "/" + std::to_string(steps_);
    line = std::string(std::to_string(steps_).size() * 2 + 1 - count.size(), ' ') + count + " [" + bar + "]";
  } else {
    line = std::to_string(step);
  }
  if (final) {
    char per[32];
    std::snprintf(per, sizeof per, "%.0fms/step", 1000.0 * elapsed / std::max<int64_t>(step, 1));
    line += " - " + duration(elapsed) + " " + per;
  } else if (steps_ > 0 && step > 0) {
    line += " - ETA: " + duration(elapsed / step * (steps_ - step));
  }
  std::string values = formatLogs(logs);
  if (!values.empty()) line += " - " + values;
  std::printf(tty_ ? "\r%s\033[K" : "%s", line.c_str());
  if (final) std::printf("\n");
  std::fflush(stdout);
}

void ProgressPrinter::onEpochEnd(int epoch, Logs& logs) {
  if (verbose_ == 1) {
    draw(seen_, logs, true);
  } else if (verbose_ == 2) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::printf("Epoch %d/%d - %s - %s\n", epoch + 1, epochs_, duration(elapsed).c_str(), formatLogs(logs).c_str());
    std::fflush(stdout);
  }
}

}  // namespace train

// ---- EarlyStopping ------------------------------------------------------------------------

namespace {

// min or max by `mode`; "auto" = max for accuracy-like names (as tfjs-layers).
bool maximize(const std::string& mode, const std::string& monitor, const char* who) {
  if (mode == "min") return false;
  if (mode == "max") return true;
  if (mode != "auto") throw Error(std::string(who) + ": mode must be 'auto', 'min' or 'max', got '" + mode + "'");
  return monitor.find("acc") != std::string::npos;
}

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(const EarlyStoppingArgs& a) : args_(a), max_(maximize(a.mode, a.monitor, "earlyStopping")) {
    if (a.patience < 0) throw Error("earlyStopping: patience must be >= 0, got " + std::to_string(a.patience));
  }
  void onTrainBegin(Logs&) override {
    wait_ = 0;
    best_ = args_.baseline ? *args_.baseline : (max_ ? -1.0 : 1.0) * std::numeric_limits<double>::infinity();
    bestWeights_.clear();
  }
  void onEpochEnd(int, Logs& logs) override {
    auto it = logs.find(args_.monitor);
    if (it == logs.end()) {
      std::fprintf(stderr, "earlyStopping: '%s' is not in the logs (have: %s)\n", args_.monitor.c_str(),
                   train::formatLogs(logs).c_str());
      return;
    }
    const double current = it->second;
    const double delta = std::abs(args_.minDelta);
    const bool improved = max_ ? current - delta > best_ : current + delta < best_;
    if (improved) {
      best_ = current;
      wait_ = 0;
      if (args_.restoreBestWeights) {
        for (auto& w : bestWeights_) w.dispose();
        bestWeights_ = model->getWeights();
      }
      return;
    }
    if (++wait_ >= args_.patience) {
      model->stopTraining();
      if (args_.restoreBestWeights && !bestWeights_.empty()) model->setWeights(bestWeights_);
    }
  }
  void onTrainEnd(Logs&) override {
    for (auto& w : bestWeights_) w.dispose();
    bestWeights_.clear();
  }

 private:
  EarlyStoppingArgs args_;
  bool max_;
  int wait_ = 0;
  double best_ = 0;
  std::vector<Tensor> bestWeights_;
};

class ModelCheckpoint : public Callback {
 public:
  ModelCheckpoint(std::string dir, const ModelCheckpointArgs& a)
      : dir_(std::move(dir)), args_(a), max_(maximize(a.mode, a.monitor, "modelCheckpoint")) {}
  void onTrainBegin(Logs&) override { best_ = (max_ ? -1.0 : 1.0) * std::numeric_limits<double>::infinity(); }
  void onEpochEnd(int, Logs& logs) override {
    if (!args_.saveBestOnly) {
      model->save(dir_);
      return;
    }
    auto it = logs.find(args_.monitor);
    if (it == logs.end()) {
      std::fprintf(stderr, "modelCheckpoint: '%s' is not in the logs; nothing saved\n", args_.monitor.c_str());
      return;
    }
    if (max_ ? it->second > best_ : it->second < best_) {
      best_ = it->second;
      model->save(dir_);
    }
  }

 private:
  std::string dir_;
  ModelCheckpointArgs args_;
  bool max_;
  double best_ = 0;
};

class HistoryLogger : public Callback {
 public:
  explicit HistoryLogger(std::string path) : path_(std::move(path)) {
    csv_ = path_.size() >= 4 && path_.compare(path_.size() - 4, 4, ".csv") == 0;
  }
  void onTrainBegin(Logs&) override { h_ = History(); }
  void onEpochEnd(int epoch, Logs& logs) override {
    h_.epoch.push_back(epoch);
    for (const auto& [k, v] : logs) h_.history[k].push_back(v);
    write();
  }

 private:
  void write() const {
    // Written whole to a temporary and renamed, so the file is never half-written.
    fs::path target(path_);
    fs::path tmp = target;
    tmp += ".tmp" + std::to_string(::getpid());
    {
      std::ofstream out(tmp);
      if (!out) throw Error("historyLogger: cannot write '" + tmp.string() + "'");
      if (csv_) {
        out << "epoch";
        for (const auto& [k, v] : h_.history) out << "," << k;
        out << "\n";
        for (size_t e = 0; e < h_.epoch.size(); ++e) {
          out << h_.epoch[e];
          for (const auto& [k, v] : h_.history) {
            out << ",";
            if (e < v.size()) out << v[e];
          }
          out << "\n";
        }
      } else {
        out << h_.toJson().dump(2) << "\n";
      }
      if (!out) throw Error("historyLogger: writing '" + tmp.string() + "' failed");
    }
    fs::rename(tmp, target);
  }
  std::string path_;
  bool csv_ = false;
  History h_;
};

class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackArgs a) : a_(std::move(a)) {}
  void onTrainBegin(Logs& l) override { if (a_.onTrainBegin) a_.onTrainBegin(l); }
  void onTrainEnd(Logs& l) override { if (a_.onTrainEnd) a_.onTrainEnd(l); }
  void onEpochBegin(int e, Logs& l) override { if (a_.onEpochBegin) a_.onEpochBegin(e, l); }
  void onEpochEnd(int e, Logs& l) override { if (a_.onEpochEnd) a_.onEpochEnd(e, l); }
  void onBatchBegin(int b, Logs& l) override { if (a_.onBatchBegin) a_.onBatchBegin(b, l); }
  void onBatchEnd(int b, Logs& l) override { if (a_.onBatchEnd) a_.onBatchEnd(b, l); }

 private:
  LambdaCallbackArgs a_;
};

}  // namespace

CallbackPtr earlyStopping(const EarlyStoppingArgs& args) { return std::make_shared<EarlyStopping>(args); }
CallbackPtr modelCheckpoint(const std::string& dir, const ModelCheckpointArgs& args) {
  return std::make_shared<ModelCheckpoint>(dir, args);
}
CallbackPtr historyLogger(const std::string& path) { return std::make_shared<HistoryLogger>(path); }
CallbackPtr lambdaCallback(LambdaCallbackArgs args) { return std::make_shared<LambdaCallback>(std::move(args)); }

}  // namespace strata
