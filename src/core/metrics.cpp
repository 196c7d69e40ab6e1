#include "core/metrics.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace phenom {

void MetricRow::set(const std::string& name, double value) {
  for (auto& [n, v] : values) {
    if (n == name) {
      v = value;
      return;
    }
  }
  values.emplace_back(name, value);
}

const double* MetricRow::find(const std::string& name) const {
  for (const auto& [n, v] : values) if (n == name) return &v;
  return nullptr;
}

Series MetricHistory::series(const std::string& name) const {
  Series s;
  for (const auto& row : rows_) {
    if (const double* v = row.find(name)) {
      s.steps.push_back(row.step);
      s.values.push_back(*v);
    }
  }
  return s;
}

std::vector<std::string> MetricHistory::names() const {
  std::vector<std::string> names;
  for (const auto& row : rows_) {
    for (const auto& [n, v] : row.values) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  }
  return names;
}

std::vector<std::pair<std::string, double>> MetricHistory::final_values() const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& name : names()) out.emplace_back(name, series(name).values.back());
  return out;
}

void MetricHistory::truncate_after(int64_t step) {
  while (!rows_.empty() && rows_.back().step > step) rows_.pop_back();
}

std::string MetricHistory::jsonl_line(const MetricRow& row) const {
  nlohmann::ordered_json j;
  j["step"] = row.step;
  for (const auto& [n, v] : row.values) {
    if (std::isfinite(v)) j[n] = v; else j[n] = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  }
  return j.dump() + "\n";
}

bool MetricHistory::parse_jsonl_line(const std::string& line, MetricRow& row) {
  auto j = nlohmann::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("step")) return false;
  row = MetricRow{j["step"].get<int64_t>(), {}};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "step") continue;
    if (it.value().is_number()) {
      row.values.emplace_back(it.key(), it.value().get<double>());
    } else if (it.value().is_string()) {
      std::string s = it.value().get<std::string>();
      row.values.emplace_back(it.key(), s == "nan" ? NAN : (s == "inf" ? INFINITY : -INFINITY));
    }
  }
  return true;
}

std::string MetricHistory::csv() const {
  std::vector<std::string> columns = names();
  std::string out = "step";
  for (const auto& c : columns) out += "," + c;
  out += "\n";
  for (const auto& row : rows_) {
    out += std::to_string(row.step);
    for (const auto& c : columns) {
      out += ",";
      if (const double* v = row.find(c)) out += format_double(*v);
    }
    out += "\n";
  }
  return out;
}

}  // namespace phenom
