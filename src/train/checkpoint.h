// Checkpoints: model parameters and buffers, optimizer state, step, seed and spec hash in one
// file, written to a temporary and renamed (a reader never sees half a checkpoint), and sealed
// with its length and a CRC-32 of its content that every load verifies: a truncated or bit-flipped
// checkpoint is refused, never resumed from. (Files from before the seal load unverified.)
#pragma once
#include <cstdint>
#include <string>

#include "core/error.h"

namespace phenom {

struct Experiment;

// A checkpoint that cannot be trusted (unreadable, truncated, checksum mismatch). The message
// ends with phenom run's fix; `problem` is the message without it, for callers with another fix.
struct CorruptCheckpoint : RunFailed {
  CorruptCheckpoint(const std::string& problem, const std::string& fix)
      : RunFailed(problem + " Fix: " + fix), problem(problem) {}
  std::string problem;
};

struct CheckpointInfo {
  int64_t step = 0;
  std::string spec_hash;
  int64_t metrics_rows = -1;  // rows of metrics.jsonl this checkpoint vouches for (-1: not recorded)
};

// The checkpoint's bytes, sealed.
std::string encode_checkpoint(const Experiment& ex, int64_t step, const std::string& spec_hash,
                              int64_t metrics_rows = -1);
void save_checkpoint(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash);
// The model's weights alone, for other tools: every parameter and buffer by its name, contiguous
// on the CPU in the run's dtype, in safetensors, with the step and spec hash in the metadata.
std::string encode_weights(const Experiment& ex, int64_t step, const std::string& spec_hash);
// Restores into an already built experiment; throws CorruptCheckpoint when the file is unreadable,
// truncated or fails its checksum, BadInput when it belongs to another spec.
CheckpointInfo load_checkpoint(const std::string& path, Experiment& ex, const std::string& expected_hash);
// Restores only the model's parameters and buffers (no optimizer, no callbacks): analyses and
// init_from read weights this way.
CheckpointInfo load_weights(const std::string& path, Experiment& ex, const std::string& expected_hash);
// The step a checkpoint was written at and the metric rows it vouches for, verified
// (CorruptCheckpoint when it is damaged).
CheckpointInfo checkpoint_info(const std::string& path);
int64_t checkpoint_step(const std::string& path);
// Copies every parameter and buffer of `from` into the same-named tensor of `to`. BadInput naming
// the tensor (and both shapes) when one model has a tensor the other lacks or of another shape;
// `what` names the source in that message.
void copy_weights(const Experiment& from, Experiment& to, const std::string& what);

}  // namespace phenom
