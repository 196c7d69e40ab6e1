// TensorBoard event files, written directly (torch-free): TFRecord framing (length, masked
// CRC-32C of the length, the record, masked CRC-32C of the record) around the Event and Summary
// protobuf messages, of which the few fields used are hand-encoded. What a run writes there is
// derived from metrics.jsonl: nothing phenom reads back.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/io.h"
#include "core/metrics.h"

namespace phenom {

uint32_t crc32c(const std::string& data);  // Castagnoli, as TFRecord frames use it
std::string tfrecord(const std::string& record);  // one framed record

// Event messages, serialized (wall_time in seconds since the epoch).
namespace tb {
std::string file_version_event(double wall_time);
std::string scalars_event(const MetricRow& row, double wall_time);
std::string text_event(const std::string& tag, const std::string& markdown, int64_t step, double wall_time);
// HParams plugin: the session's hyperparameters (numbers where the value reads as one), and its end.
std::string hparams_start_event(const std::vector<std::pair<std::string, std::string>>& hparams, double wall_time);
std::string hparams_end_event(bool success, double wall_time);
// A PNG file's bytes as an image summary (its size and colour type read from the PNG header);
// "" when the bytes are not a PNG.
std::string image_event(const std::string& tag, const std::string& png, int64_t step, double wall_time);
}  // namespace tb

// An event file phenom wrote (events.out.tfevents.<time>.<host>.phenom): the only files in tb/
// that phenom removes.
bool is_phenom_event_file(const std::string& name);

// A run's tb/ folder: one event file, rewritten whole from the metric history when a process
// starts (so a resumed run has each step once), then appended to, row by row.
class TensorBoardLog {
 public:
  void configure(std::string dir, std::string spec_text, std::vector<std::pair<std::string, std::string>> hparams);
  bool enabled() const { return !dir_.empty(); }
  void rewrite(const MetricHistory& history);
  void append(const std::string& event);  // a serialized Event, framed here
  void row(const MetricRow& row);
  // The end of a run: the figures in `plots_dir` (PNG files, when drawn) as images at `step`, then
  // the HParams session's end (success or failure).
  void finish(const std::string& plots_dir, bool success, int64_t step);
  void close() { file_.close(); }

 private:
  std::string dir_, spec_text_, path_;
  std::vector<std::pair<std::string, std::string>> hparams_;
  AppendFile file_;
};

double wall_clock_seconds();

}  // namespace phenom
