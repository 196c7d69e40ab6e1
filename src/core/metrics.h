// Metric rows as logged to metrics.jsonl (torch-free; detectors read the history).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace phenom {

struct MetricRow {
  int64_t step = 0;
  std::vector<std::pair<std::string, double>> values;  // in logging order
  void set(const std::string& name, double value);
  const double* find(const std::string& name) const;
};

struct Series {
  std::vector<int64_t> steps;
  std::vector<double> values;
  bool empty() const { return steps.empty(); }
};

class MetricHistory {
 public:
  void append(MetricRow row) { rows_.push_back(std::move(row)); }
  const std::vector<MetricRow>& rows() const { return rows_; }
  Series series(const std::string& name) const;
  std::vector<std::string> names() const;  // every metric name, in first-seen order
  // The last value of every metric (summary.json "final").
  std::vector<std::pair<std::string, double>> final_values() const;
  void truncate_after(int64_t step);

  std::string jsonl_line(const MetricRow& row) const;
  static bool parse_jsonl_line(const std::string& line, MetricRow& row);
  std::string csv() const;

 private:
  std::vector<MetricRow> rows_;
};

}  // namespace phenom
