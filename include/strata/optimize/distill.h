// Knowledge distillation (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural
// Network"; docs/distillation.md): a student model learns from the labels and from a teacher's
// temperature-softened outputs. Implemented in src/optimize/distill.cpp.
//
//   auto h = st::distill(teacher, student, x, y, {.temperature = 4, .alpha = 0.1f, .epochs = 3});
//   student.save("student/");
//
// Per batch, with z_s and z_t the student's and teacher's logits and T the temperature:
//   loss = alpha * hard + (1 - alpha) * T^2 * soft
//   hard = mean over the batch of  -sum_c y_c * log softmax(z_s)_c          (the labels)
//   soft = mean over the batch of  KL(softmax(z_t / T) || softmax(z_s / T))  (the teacher)
// so `alpha` weights the hard-label loss and 1 - alpha the distillation term (as in Keras's
// distillation example); T^2 keeps the soft term's gradients on the scale of the hard one's.
//
// Logits: a model whose output layer ends in a softmax (a Dense/Conv layer with activation
// "softmax", an Activation("softmax") layer or a Softmax layer) is used through a copy whose
// output layer has that softmax replaced by "linear", so z is the pre-softmax value exactly
// (not log of the probabilities, which underflows). Any other output is taken to be logits
// already, except sigmoid/other squashing activations, which are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/models.h"
#include "strata/training.h"

namespace strata {

struct DistillArgs {
  float temperature = 4.0f;  ///< T > 0; softens both distributions in the soft term
  float alpha = 0.1f;        ///< weight of the hard-label loss, in [0, 1]; 1 - alpha weights the soft term
  int epochs = 1;
  int batchSize = 32;
  /// Seeds the per-epoch shuffling (and nothing else); without it each run shuffles differently.
  std::optional<uint64_t> seed;
  bool shuffle = true;
  /// The student's optimizer (default Adam with TF.js's defaults, learning rate 0.001).
  OptimizerSpec optimizer = OptimizerSpec("adam");
  /// 0 silent, 1 or 2: one line per epoch.
  int verbose = 0;
};

/// Loss, hard and soft terms as defined above, from logits ([batch, classes] each) and labels
/// (one-hot [batch, classes], or class indices [batch] / [batch, 1]). Returns {loss, hard, soft}
/// as scalars (soft without the T^2 and 1 - alpha factors). Differentiable in studentLogits.
struct DistillLoss {
  Tensor loss, hard, soft;
};
DistillLoss distillationLoss(const Tensor& labels, const Tensor& studentLogits, const Tensor& teacherLogits,
                             float temperature, float alpha);

/// The model's logits for x (batched predict of the softmax-free copy described above).
Tensor predictLogits(const LayersModel& model, const Tensor& x, int batchSize = 256);

/// Trains `student` on x/y with the distillation loss from `teacher` (whose weights do not
/// change). The teacher's logits are computed once, before training. Logged per epoch: "loss",
/// "hard", "soft" (sample means over the epoch's batches) and "acc" (the student's argmax
/// accuracy on those batches before each update). The student's weights change only when every
/// epoch succeeded. Throws strata::Error (naming the models) before training if either model
/// does not have exactly one input and one output, if the student's output shape does not match
/// the teacher's, if an output is not softmax or logits, for a bad argument (T <= 0, alpha
/// outside [0, 1], epochs < 0, batchSize <= 0), or if x/y do not fit the models; and if the loss
/// becomes NaN or infinite.
History distill(const LayersModel& teacher, const LayersModel& student, const Tensor& x, const Tensor& y,
                const DistillArgs& args = {});

}  // namespace strata
