// Where the training loop's output goes: metric rows, progress, and checkpoint bytes. The loop
// measures and encodes; the sink stores and shows. run/ implements it over a run directory and
// the console (run/run_sink.h); a test may keep everything in memory. The loop calls it in this
// order: a row is stored before any checkpoint that vouches for it, and sync_rows() comes first
// in every checkpoint.
#pragma once
#include <cstdint>
#include <string>

namespace phenom {

struct MetricRow;

class TrainSink {
 public:
  virtual ~TrainSink() = default;
  // A measured row, with its metrics.jsonl line.
  virtual void row(const MetricRow& row, const std::string& jsonl_line) = 0;
  // The progress line after a row: `step` of `total`, this process having started at `first`.
  virtual void progress(int64_t step, int64_t first, int64_t total, const MetricRow& row) = 0;
  virtual void end_progress() = 0;
  virtual void info(const std::string& message) = 0;
  // Every row stored so far is durable (a checkpoint is about to vouch for them).
  virtual void sync_rows() = 0;
  // The checkpoint at `step`: the training state (what resume loads) and the weights alone
  // (safetensors); `numbered`: also kept as that step's own files.
  virtual void checkpoint(int64_t step, bool numbered, const std::string& state, const std::string& weights) = 0;
};

}  // namespace phenom
