// Checkpoints: model parameters and buffers, optimizer state, step, seed and spec hash in one
// file, written to a temporary and renamed (a reader never sees half a checkpoint).
#pragma once
#include <string>

namespace phenom {

struct Experiment;

struct CheckpointInfo {
  int64_t step = 0;
  std::string spec_hash;
};

void save_checkpoint(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash);
// The model's weights alone, for other tools: every parameter and buffer by its name, contiguous
// on the CPU in the run's dtype, in safetensors, with the step and spec hash in the metadata.
void save_weights(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash);
// Restores into an already built experiment; throws RunFailed when the file is unreadable or
// belongs to another spec.
CheckpointInfo load_checkpoint(const std::string& path, Experiment& ex, const std::string& expected_hash);
// Restores only the model's parameters and buffers (no optimizer, no callbacks): analyses and
// init_from read weights this way.
CheckpointInfo load_weights(const std::string& path, Experiment& ex, const std::string& expected_hash);
// The step a checkpoint was written at (RunFailed when unreadable).
int64_t checkpoint_step(const std::string& path);
// Copies every parameter and buffer of `from` into the same-named tensor of `to`. BadInput naming
// the tensor (and both shapes) when one model has a tensor the other lacks or of another shape;
// `what` names the source in that message.
void copy_weights(const Experiment& from, Experiment& to, const std::string& what);

}  // namespace phenom
