// The training loop's sink (train/sink.h) over a run directory and its console.
#pragma once
#include "train/sink.h"

namespace phenom {

class RunDir;
class Console;

class RunSink : public TrainSink {
 public:
  RunSink(RunDir& dir, Console& console) : dir_(dir), console_(console) {}
  void row(const MetricRow& row, const std::string& jsonl_line) override;
  void progress(int64_t step, int64_t first, int64_t total, const MetricRow& row) override;
  void end_progress() override;
  void info(const std::string& message) override;
  void sync_rows() override;
  // Numbered files first: last.pt is what resume reads, so it is written once the step's other
  // files are complete. Each file is written whole (temporary, fsync, rename), none is a copy.
  void checkpoint(int64_t step, bool numbered, const std::string& state, const std::string& weights) override;

 private:
  RunDir& dir_;
  Console& console_;
};

}  // namespace phenom
