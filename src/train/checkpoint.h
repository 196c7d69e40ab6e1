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
// Restores into an already built experiment; throws RunFailed when the file is unreadable or
// belongs to another spec.
CheckpointInfo load_checkpoint(const std::string& path, Experiment& ex, const std::string& expected_hash);

}  // namespace phenom
