// The optimizers of TF.js 4.22 (tfjs-core/src/optimizers/*.ts), op for op: the same ops in the
// same order on float32 tensors, every hyperparameter rounded to float32 where TF.js turns its
// JS number into a tensor (after the same double arithmetic, e.g. `1 - beta1`), and the same
// float32 state variables (Adam's accBeta1/accBeta2, Adamax's iteration), so results match
// TF.js's CPU backend to the last bit wherever the kernels round alike.
#include <charconv>
#include <cmath>

#include "core/engine_state.h"  // minimize(): variables by name, as TF.js's ENGINE.registeredVariables
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/grad.h"
#include "strata/ops.h"
#include "train/optimizer_factories.h"

namespace strata {

namespace {

// A JS number becoming a tensor: a float32 scalar.
Tensor num(double x) { return scalar(static_cast<float>(x)); }

// A scalar state variable (Adam's accBeta1, ...): created on first use, freed by reset().
class StateScalar {
 public:
  StateScalar() = default;
  StateScalar(const StateScalar&) = delete;
  StateScalar& operator=(const StateScalar&) = delete;
  ~StateScalar() { reset(); }
  Variable& get(double initial) {
    if (!v_.defined() || v_.isDisposed()) tidy([&] { v_ = variable(num(initial), /*trainable=*/false); });
    return v_;
  }
  void reset() {
    if (v_.defined()) v_.dispose();
    v_ = Variable();
  }

 private:
  Variable v_;
};

// The entries that update something (TF.js skips variables without a gradient), all checked
// before any variable changes so that a bad gradient leaves everything as it was.
std::vector<const VariableGradient*> updates(const std::string& cls, const std::vector<VariableGradient>& gradients) {
  std::vector<const VariableGradient*> out;
  for (const auto& g : gradients) {
    if (!g.gradient.defined()) continue;
    if (!g.variable.defined() || g.variable.isDisposed())
      throw Error(cls + " optimizer: a gradient was given for an empty or disposed variable");
    if (g.gradient.shape() != g.variable.shape())
      throw Error(cls + " optimizer: the gradient for variable '" + g.variable.name() + "' has shape " +
                  shapeString(g.gradient.shape()) + " but the variable has shape " + shapeString(g.variable.shape()));
    out.push_back(&g);
  }
  return out;
}

std::function<Tensor()> zerosOf(const Variable& v) {
  return [v] { return zerosLike(v); };
}

// ---- the update rules ----------------------------------------------------------------------

class Sgd : public Optimizer {
 public:
  explicit Sgd(double learningRate) : lr_(learningRate) {}
  std::string className() const override { return "SGD"; }
  nlohmann::json getConfig() const override { return {{"learningRate", lr_}}; }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      for (const auto* g : todo) {
        Variable value = g->variable;
        value.assign(add(mul(num(-lr_), g->gradient), value));
      }
    });
    ++iterations_;
  }

 private:
  double lr_;
};

class Momentum : public Optimizer {
 public:
  Momentum(double learningRate, double momentum, bool useNesterov)
      : lr_(learningRate), momentum_(momentum), nesterov_(useNesterov) {}
  std::string className() const override { return "Momentum"; }
  nlohmann::json getConfig() const override {
    return {{"learningRate", lr_}, {"momentum", momentum_}, {"useNesterov", nesterov_}};
  }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      Tensor c = num(-lr_), m = num(momentum_);
      for (const auto* g : todo) {
        Variable value = g->variable;
        Variable& accumulation = slot(value, "momentum", zerosOf(value));
        Tensor newAccumulation = add(mul(m, accumulation), g->gradient);
        Tensor step = nesterov_ ? add(g->gradient, mul(newAccumulation, m)) : newAccumulation;
        Tensor newValue = add(mul(c, step), value);
        accumulation.assign(newAccumulation);
        value.assign(newValue);
      }
    });
    ++iterations_;
  }

 private:
  double lr_, momentum_;
  bool nesterov_;
};

class Adam : public Optimizer {
 public:
  Adam(double learningRate, double beta1, double beta2, double epsilon)
      : lr_(learningRate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {}
  std::string className() const override { return "Adam"; }
  nlohmann::json getConfig() const override {
    return {{"learningRate", lr_}, {"beta1", beta1_}, {"beta2", beta2_}, {"epsilon", epsilon_}};
  }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      // beta^t is kept as a float32 variable multiplied by beta each step, like TF.js (not pow).
      Variable& accBeta1 = accBeta1_.get(beta1_);
      Variable& accBeta2 = accBeta2_.get(beta2_);
      Tensor oneMinusAccBeta1 = sub(num(1), accBeta1);
      Tensor oneMinusAccBeta2 = sub(num(1), accBeta2);
      for (const auto* g : todo) {
        Variable value = g->variable;
        Variable& m = slot(value, "m", zerosOf(value));
        Variable& v = slot(value, "v", zerosOf(value));
        Tensor newM = add(mul(m, num(beta1_)), mul(g->gradient, num(1 - beta1_)));
        Tensor newV = add(mul(v, num(beta2_)), mul(square(g->gradient), num(1 - beta2_)));
        Tensor mHat = div(newM, oneMinusAccBeta1);
        Tensor vHat = div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        value.assign(add(mul(div(mHat, add(sqrt(vHat), num(epsilon_))), num(-lr_)), value));
      }
      accBeta1.assign(mul(accBeta1, num(beta1_)));
      accBeta2.assign(mul(accBeta2, num(beta2_)));
    });
    ++iterations_;
  }
  void dispose() override {
    accBeta1_.reset();
    accBeta2_.reset();
    Optimizer::dispose();
  }

 private:
  double lr_, beta1_, beta2_, epsilon_;
  StateScalar accBeta1_, accBeta2_;
};

class Adamax : public Optimizer {
 public:
  Adamax(double learningRate, double beta1, double beta2, double epsilon, double decay)
      : lr_(learningRate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon), decay_(decay) {}
  std::string className() const override { return "Adamax"; }
  nlohmann::json getConfig() const override {
    return {{"learningRate", lr_}, {"beta1", beta1_}, {"beta2", beta2_}, {"epsilon", epsilon_}, {"decay", decay_}};
  }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      Variable& iteration = iteration_.get(0);
      Variable& accBeta1 = accBeta1_.get(beta1_);
      Tensor oneMinusAccBeta1 = sub(num(1), accBeta1);
      Tensor lr = div(num(-lr_), add(mul(iteration, num(decay_)), num(1)));
      for (const auto* g : todo) {
        Variable value = g->variable;
        Variable& m = slot(value, "m", zerosOf(value));
        Variable& u = slot(value, "v", zerosOf(value));  // the exponentially weighted infinity norm
        Tensor newM = add(mul(m, num(beta1_)), mul(g->gradient, num(1 - beta1_)));
        Tensor newU = maximum(mul(u, num(beta2_)), abs(g->gradient));
        m.assign(newM);
        u.assign(newU);
        value.assign(add(mul(div(lr, oneMinusAccBeta1), div(newM, add(newU, num(epsilon_)))), value));
      }
      iteration.assign(add(iteration, num(1)));
      accBeta1.assign(mul(accBeta1, num(beta1_)));
    });
    ++iterations_;
  }
  void dispose() override {
    iteration_.reset();
    accBeta1_.reset();
    Optimizer::dispose();
  }

 private:
  double lr_, beta1_, beta2_, epsilon_, decay_;
  StateScalar iteration_, accBeta1_;
};

class Adagrad : public Optimizer {
 public:
  Adagrad(double learningRate, double initialAccumulatorValue) : lr_(learningRate), initial_(initialAccumulatorValue) {}
  std::string className() const override { return "Adagrad"; }
  nlohmann::json getConfig() const override {
    return {{"learningRate", lr_}, {"initialAccumulatorValue", initial_}};
  }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      for (const auto* g : todo) {
        Variable value = g->variable;
        Variable& accumulated = slot(value, "accumulator", [&] {
          return fill(value.shape(), static_cast<float>(initial_));
        });
        Tensor newAccumulated = add(accumulated, square(g->gradient));
        accumulated.assign(newAccumulated);
        // TF.js adds the backend's epsilon here; Adagrad has no epsilon parameter.
        Tensor step = div(g->gradient, sqrt(add(newAccumulated, num(train::kBackendEpsilon))));
        value.assign(add(mul(step, num(-lr_)), value));
      }
    });
    ++iterations_;
  }

 private:
  double lr_, initial_;
};

class Adadelta : public Optimizer {
 public:
  Adadelta(double learningRate, double rho, double epsilon) : lr_(learningRate), rho_(rho), epsilon_(epsilon) {}
  std::string className() const override { return "Adadelta"; }
  nlohmann::json getConfig() const override {
    return {{"learningRate", lr_}, {"rho", rho_}, {"epsilon", epsilon_}};
  }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      for (const auto* g : todo) {
        Variable value = g->variable;
        Variable& accGrad = slot(value, "accum_grad", zerosOf(value));
        Variable& accUpdate = slot(value, "accum_var", zerosOf(value));
        Tensor newAccGrad = add(mul(accGrad, num(rho_)), mul(square(g->gradient), num(1 - rho_)));
        // As TF.js: the step divides by the accumulated gradient *before* this step's update.
        Tensor step = mul(div(sqrt(add(accUpdate, num(epsilon_))), sqrt(add(accGrad, num(epsilon_)))), g->gradient);
        Tensor newAccUpdate = add(mul(accUpdate, num(rho_)), mul(square(step), num(1 - rho_)));
        accGrad.assign(newAccGrad);
        accUpdate.assign(newAccUpdate);
        value.assign(add(mul(step, num(-lr_)), value));
      }
    });
    ++iterations_;
  }

 private:
  double lr_, rho_, epsilon_;
};

class RmsProp : public Optimizer {
 public:
  RmsProp(double learningRate, double decay, double momentum, double epsilon, bool centered)
      : lr_(learningRate), decay_(decay), momentum_(momentum), epsilon_(epsilon), centered_(centered) {}
  std::string className() const override { return "RMSProp"; }
  nlohmann::json getConfig() const override {
    return {{"learningRate", lr_}, {"decay", decay_}, {"momentum", momentum_}, {"epsilon", epsilon_},
            {"centered", centered_}};
  }
  void applyGradients(const std::vector<VariableGradient>& gradients) override {
    auto todo = updates(className(), gradients);
    tidy([&] {
      for (const auto* g : todo) {
        Variable value = g->variable;
        const Tensor& grad = g->gradient;
        Variable& meanSquare = slot(value, "rms", zerosOf(value));
        Variable& moments = slot(value, "momentum", zerosOf(value));
        Tensor newMeanSquare = add(mul(meanSquare, num(decay_)), mul(square(grad), num(1 - decay_)));
        Tensor denominator;
        if (centered_) {
          Variable& meanGrad = slot(value, "mg", zerosOf(value));
          Tensor newMeanGrad = add(mul(meanGrad, num(decay_)), mul(grad, num(1 - decay_)));
          // TF.js subtracts epsilon here (sqrt(ms - (mg^2 + eps))); kept for identical results.
          denominator = sqrt(sub(newMeanSquare, add(square(newMeanGrad), num(epsilon_))));
          meanGrad.assign(newMeanGrad);
        } else {
          denominator = sqrt(add(newMeanSquare, num(epsilon_)));
        }
        Tensor newMoments = add(mul(moments, num(momentum_)), div(mul(grad, num(lr_)), denominator));
        meanSquare.assign(newMeanSquare);
        moments.assign(newMoments);
        value.assign(sub(value, newMoments));
      }
    });
    ++iterations_;
  }

 private:
  double lr_, decay_, momentum_, epsilon_;
  bool centered_;
};

}  // namespace

// ---- the base class ----------------------------------------------------------------------------

Optimizer::~Optimizer() { Optimizer::dispose(); }

void Optimizer::dispose() {
  for (auto& [key, v] : slots_) v.dispose();
  slots_.clear();
}

Variable& Optimizer::slot(const Variable& v, const std::string& slot, const std::function<Tensor()>& init) {
  auto key = std::make_pair(v.name(), slot);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    if (!it->second.isDisposed() && it->second.shape() == v.shape()) return it->second;
    it->second.dispose();  // the name now belongs to a new variable of another shape
    slots_.erase(it);
  }
  Variable created;
  tidy([&] { created = variable(init(), /*trainable=*/false); });
  return slots_.emplace(key, created).first->second;
}

Tensor Optimizer::minimize(const std::function<Tensor()>& f, const std::vector<Variable>& varList) {
  VariableGradsResult r = variableGrads(f, varList);
  std::vector<VariableGradient> gradients;
  if (!varList.empty()) {
    for (const Variable& v : varList) {
      auto it = r.grads.find(v.name());
      gradients.push_back({v, it == r.grads.end() ? Tensor() : it->second});
    }
  } else {
    const auto& registered = detail::engine().variables;
    for (const auto& [name, g] : r.grads)
      if (auto found = registered.find(name); found != registered.end())
        if (auto node = found->second.lock()) gradients.push_back({Variable(node), g});
  }
  try {
    applyGradients(gradients);
  } catch (...) {
    strata::dispose(r.grads);
    r.value.dispose();
    throw;
  }
  strata::dispose(r.grads);
  return r.value;
}

// ---- factories ---------------------------------------------------------------------------------

namespace train {

double decimalOf(float f) {
  if (!std::isfinite(f)) return f;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);  // shortest round-trip form
  double d = f;
  if (ec == std::errc()) std::from_chars(buf, end, d);
  return d;
}

OptimizerPtr makeSgd(double lr) { return std::make_shared<Sgd>(lr); }
OptimizerPtr makeMomentum(double lr, double momentum, bool useNesterov) {
  return std::make_shared<Momentum>(lr, momentum, useNesterov);
}
OptimizerPtr makeAdam(double lr, double beta1, double beta2, double epsilon) {
  return std::make_shared<Adam>(lr, beta1, beta2, epsilon);
}
OptimizerPtr makeAdamax(double lr, double beta1, double beta2, double epsilon, double decay) {
  return std::make_shared<Adamax>(lr, beta1, beta2, epsilon, decay);
}
OptimizerPtr makeAdagrad(double lr, double initialAccumulatorValue) {
  return std::make_shared<Adagrad>(lr, initialAccumulatorValue);
}
OptimizerPtr makeAdadelta(double lr, double rho, double epsilon) { return std::make_shared<Adadelta>(lr, rho, epsilon); }
OptimizerPtr makeRmsprop(double lr, double decay, double momentum, double epsilon, bool centered) {
  return std::make_shared<RmsProp>(lr, decay, momentum, epsilon, centered);
}

}  // namespace train

using train::decimalOf;

OptimizerPtr sgd(float learningRate) { return train::makeSgd(decimalOf(learningRate)); }
OptimizerPtr momentum(float learningRate, float momentum, bool useNesterov) {
  return train::makeMomentum(decimalOf(learningRate), decimalOf(momentum), useNesterov);
}
OptimizerPtr adam(float learningRate, float beta1, float beta2, float epsilon) {
  return train::makeAdam(decimalOf(learningRate), decimalOf(beta1), decimalOf(beta2), decimalOf(epsilon));
}
OptimizerPtr adamax(float learningRate, float beta1, float beta2, float epsilon, float decay) {
  return train::makeAdamax(decimalOf(learningRate), decimalOf(beta1), decimalOf(beta2), decimalOf(epsilon),
                           decimalOf(decay));
}
OptimizerPtr adagrad(float learningRate, float initialAccumulatorValue) {
  return train::makeAdagrad(decimalOf(learningRate), decimalOf(initialAccumulatorValue));
}
OptimizerPtr adadelta(float learningRate, float rho, float epsilon) {
  return train::makeAdadelta(decimalOf(learningRate), decimalOf(rho), decimalOf(epsilon));
}
OptimizerPtr rmsprop(float learningRate, float decay, float momentum, float epsilon, bool centered) {
  return train::makeRmsprop(decimalOf(learningRate), decimalOf(decay), decimalOf(momentum), decimalOf(epsilon),
                            centered);
}

}  // namespace strata
