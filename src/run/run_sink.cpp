#include "run/run_sink.h"

#include "core/io.h"
#include "core/metrics.h"
#include "run/console.h"
#include "run/rundir.h"

namespace phenom {

void RunSink::row(const MetricRow& row, const std::string& jsonl_line) { dir_.append_metrics(row, jsonl_line); }

void RunSink::progress(int64_t step, int64_t first, int64_t total, const MetricRow& row) {
  console_.progress(step, first, total, row);
}

void RunSink::end_progress() { console_.end_progress(); }

void RunSink::info(const std::string& message) { console_.info(message); }

void RunSink::sync_rows() { dir_.sync_metrics(); }

void RunSink::checkpoint(int64_t step, bool numbered, const std::string& state, const std::string& weights) {
  if (numbered) {
    write_file_atomic(dir_.checkpoint(step), state);
    write_file_atomic(dir_.weights(step), weights);
  }
  write_file_atomic(dir_.weights(), weights);
  write_file_atomic(dir_.last_checkpoint(), state);
}

}  // namespace phenom
