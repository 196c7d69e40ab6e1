// The run directory contract (DESIGN.md §5): spec.yaml, overrides.yaml, meta.json, metrics.jsonl
// (append-only), times.jsonl, metrics.csv, checkpoints/, summary.json, log.txt, DONE. Torch-free.
#pragma once
#include <string>

#include "core/io.h"
#include "core/metrics.h"
#include "run/tensorboard.h"

namespace phenom {

class RunDir {
 public:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string checkpoint(int64_t step) const { return file("checkpoints/step_" + std::to_string(step) + ".pt"); }
  std::string last_checkpoint() const { return file("checkpoints/last.pt"); }
  // The weights alone (safetensors) beside a checkpoint: last.safetensors, or step_<N>.safetensors.
  std::string weights() const { return file("checkpoints/last.safetensors"); }
  std::string weights(int64_t step) const { return file("checkpoints/step_" + std::to_string(step) + ".safetensors"); }

  bool exists() const;
  // Created by phenom: holds its marker file (.phenom-run), or (runs written before the marker)
  // the spec.yaml and overrides.yaml that phenom wrote first.
  bool is_phenom_run() const;
  // Holds files or folders at all (a new or empty directory is not).
  bool has_entries() const;
  bool done() const;
  bool has_checkpoint() const;
  std::string stored_spec() const;  // "" when absent

  // Creates the directory (BadInput with the path if it cannot) and takes its lock: one process
  // per run directory, held until this RunDir is destroyed. BadInput when another process holds
  // it. Then marks the directory as phenom's (.phenom-run).
  void create_and_lock();
  // Writes the spec files (after create_and_lock, which writes the marker).
  void prepare(const std::string& resolved_spec, const std::string& overrides_yaml);
  // For --fresh (run/fresh.cpp): removes the files phenom writes (its names at the top level;
  // checkpoints, TensorBoard events and figures by their patterns or list) and no other file; a
  // folder goes only when nothing else is left in it. Analysis directories are moved aside, not
  // removed (their rows describe the run being replaced). Returns a note of what was kept, or "".
  std::string clear();

  // Metrics: reads what is on disk (a torn last line is dropped).
  MetricHistory read_metrics() const;
  // TensorBoard event files in tb/, mirroring metrics.jsonl, with the spec as text and `hparams`
  // (the command line's key=value overrides, a sweep job's swept values among them).
  void enable_tensorboard(const std::string& spec_text, std::vector<std::pair<std::string, std::string>> hparams);
  TensorBoardLog& tensorboard() { return tensorboard_; }
  // Rewrites metrics.jsonl (and tb/) to exactly `history` (on resume, after truncating to the
  // checkpoint), and times.jsonl to the same steps; the wall clock of the rows to come continues
  // from the last kept row's.
  void rewrite_metrics(const MetricHistory& history);
  void open_metrics();  // append mode
  void append_metrics(const MetricRow& row, const std::string& line);
  void sync_metrics();  // fsync before a checkpoint names a step
  void close_metrics();

  void write(const std::string& name, const std::string& content);  // atomic

  ~RunDir();

 private:
  std::string path_;
  AppendFile metrics_, times_;
  double time_offset_ = 0, clock_start_ = 0;  // wall_time = time_offset_ + (now - clock_start_)
  TensorBoardLog tensorboard_;
  int lock_ = -1;
};

}  // namespace phenom
