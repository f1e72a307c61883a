// `strata distill` (docs/distillation.md): trains a student model on labels and on a teacher's
// temperature-softened outputs (Hinton et al. 2015) and saves the student in TF.js format.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "optimize_flags.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

struct DistillFlags {
  std::string teacher, student, x, y, backend, save;
  float temperature = 4.0f, alpha = 0.1f;
  int epochs = 1;
  TrainingFlags train;
};

// Argmax accuracy of a model's predictions against one-hot or class-index labels.
double accuracy(const LayersModel& model, const Tensor& x, const Tensor& y) {
  return tidy([&] {
           Tensor pred = argMax(model.predict(x, {.batchSize = 256}), 1);
           Tensor labels = y.rank() == 2 && y.shape()[1] > 1 ? argMax(y, 1) : cast(reshape(y, {y.shape()[0]}), DType::int32);
           return mean(cast(equal(pred, labels), DType::float32));
         })
      .item<float>();
}

void runDistill(const DistillFlags& f) {
  if (!f.backend.empty()) setBackend(f.backend);
  LayersModel teacher = loadLayersModel(f.teacher);
  LayersModel student = loadLayersModel(f.student);
  Tensor x = loadNpy(f.x), y = loadNpy(f.y);
  DistillArgs args{.temperature = f.temperature,
                   .alpha = f.alpha,
                   .epochs = f.epochs,
                   .batchSize = f.train.batchSize,
                   .shuffle = !f.train.noShuffle,
                   .optimizer = OptimizerSpec(optimizerFromFlags(f.train, OptimizerSpec("adam"))),
                   .verbose = f.train.verbose};
  if (f.train.seed >= 0) args.seed = static_cast<uint64_t>(f.train.seed);
  distill(teacher, student, x, y, args);
  std::printf("accuracy on --x/--y: teacher %.2f%%, student %.2f%%\n", 100 * accuracy(teacher, x, y),
              100 * accuracy(student, x, y));
  student.save(f.save);
  std::printf("saved the student to %s/\n", f.save.c_str());
}

}  // namespace

void addDistillCommand(CLI::App& app) {
  auto f = std::make_shared<DistillFlags>();
  auto* cmd = app.add_subcommand("distill", "Train a student model from a teacher's softened outputs and the labels");
  cmd->add_option("teacher", f->teacher, "The teacher's model.json (or its directory)")->required();
  cmd->add_option("student", f->student, "The student's model.json (or its directory); its weights are the start")
      ->required();
  cmd->add_option("--x", f->x, "Training inputs .npy")->required();
  cmd->add_option("--y", f->y, "Labels .npy: one-hot [n, classes] or class indices [n]")->required();
  cmd->add_option("--temperature", f->temperature, "Softmax temperature T > 0 of the soft term (default 4)");
  cmd->add_option("--alpha", f->alpha,
                  "Weight of the hard-label loss in [0, 1]; the soft term gets 1 - alpha (default 0.1)");
  cmd->add_option("--epochs", f->epochs, "Epochs (default 1)");
  addTrainingFlags(cmd, f->train, false);
  cmd->add_option("--backend", f->backend, "Backend to run on (default: the best available)");
  cmd->add_option("--save", f->save, "Directory for the trained student (TF.js format)")->required();
  cmd->callback([f] { runDistill(*f); });
}

}  // namespace strata::cli
