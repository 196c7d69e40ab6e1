// A sweep's sweep.csv and summary.json: one row per job (swept values, state, final metrics,
// detector scalars), the expectations over runs, and the sweep-level detectors' results.
#include "sweep/aggregate.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/io.h"
#include "core/text.h"
#include "run/artifact.h"
#include "sweep/detector.h"
#include "sweep/report.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

// The value a job gives a swept key ("" if none).
// The value the run got: overrides apply in order, so the last one naming the key wins (a
// command line may set a key and then sweep it).
std::string swept_value(const Job& job, const std::string& key) {
  for (auto o = job.overrides.rbegin(); o != job.overrides.rend(); ++o) {
    if (o->rfind(key + "=", 0) == 0) return o->substr(key.size() + 1);
  }
  return "";
}

}  // namespace

int aggregate_sweep(const SweepRequest& request, const SweepPlan& plan, const std::vector<Job>& jobs,
                    const std::string& sweep_dir, const SweepDetectors& detectors, bool quiet) {
  std::vector<std::string> metric_columns, detector_columns;
  std::vector<Json> summaries;
  std::vector<RunState> states;
  for (const auto& job : jobs) states.push_back(job_state(job, sweep_dir));
  for (const auto& job : jobs) {
    Json s = job_summary(job, sweep_dir);
    const Json final_values = s.value("final", Json::object());  // kept alive: items() is a view
    for (auto& [k, v] : final_values.items()) {
      if (std::find(metric_columns.begin(), metric_columns.end(), k) == metric_columns.end()) metric_columns.push_back(k);
    }
    for (auto& [section, v] : s.items()) {
      if (!v.is_object() || section == "final") continue;
      for (auto& [k, x] : v.items()) {
        std::string column = section + "." + k;
        if ((x.is_number() || x.is_boolean()) &&
            std::find(detector_columns.begin(), detector_columns.end(), column) == detector_columns.end()) {
          detector_columns.push_back(column);
        }
      }
    }
    summaries.push_back(s);
  }
  auto cell = [](const Json& v) -> std::string {
    if (v.is_null()) return "";
    if (v.is_number_float()) return format_double(v.get<double>());
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  std::string csv = "index";
  for (const auto& axis : plan.axes) csv += "," + axis.key;
  csv += ",state,status,wall_seconds";
  for (const auto& c : metric_columns) csv += ",final." + c;
  for (const auto& c : detector_columns) csv += "," + c;
  csv += ",run_dir\n";
  std::map<std::string, std::pair<int, int>> expect;  // key -> (passed, of)
  std::vector<std::string> expect_order;
  int done = 0;
  Json failed = Json::array();
  for (size_t i = 0; i < jobs.size(); ++i) {
    const Json& s = summaries[i];
    const RunState state = states[i];
    done += state == RunState::kDone;
    if (state == RunState::kFailed) failed.push_back(jobs[i].index);
    csv += std::to_string(jobs[i].index);
    for (const auto& axis : plan.axes) {
      const std::string value = swept_value(jobs[i], axis.key);
      csv += "," + (value.find(',') != std::string::npos ? "\"" + value + "\"" : value);
    }
    csv += std::string(",") + run_state_name(state) + "," + cell(s.value("status", Json())) + "," + cell(s.value("wall_seconds", Json()));
    for (const auto& c : metric_columns) csv += "," + cell(s.value("final", Json::object()).value(c, Json()));
    for (const auto& c : detector_columns) {
      size_t dot = c.find('.');
      csv += "," + cell(s.value(c.substr(0, dot), Json::object()).value(c.substr(dot + 1), Json()));
    }
    csv += "," + jobs[i].run_dir + "\n";
    if (state != RunState::kDone) continue;
    for (const auto& e : s.value("expect", Json::array())) {
      std::string key = e.value("key", "") + " " + e.value("expected", "");
      if (!expect.count(key)) expect_order.push_back(key);
      expect[key].first += e.value("passed", false);
      expect[key].second += 1;
    }
  }
  write_file_atomic(sweep_dir + "/sweep.csv", csv);
  Json summary;
  summary["jobs"] = jobs.size();
  summary["done"] = done;
  summary["failed"] = failed;
  summary["axes"] = Json::object();
  for (const auto& axis : plan.axes) summary["axes"][axis.key] = axis.values;
  summary["expect_fraction"] = request.expect_fraction;
  Json expectations = Json::object();
  bool met = done == static_cast<int>(jobs.size());
  for (const auto& key : expect_order) {
    auto [passed, of] = expect[key];
    bool holds = of > 0 && passed >= request.expect_fraction * of - 1e-9;
    met &= holds;
    expectations[key] = {{"passed", passed}, {"of", of}, {"holds", holds},
                         {"text", "passed in " + std::to_string(passed) + " of " + std::to_string(of) + " runs"}};
  }
  summary["expect"] = expectations;
  summary["expectations_met"] = met;
  // Sweep-level detectors over the table of done runs.
  std::vector<SweepRow> table;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (states[i] != RunState::kDone) continue;
    SweepRow row{{}, summaries[i]};
    for (const auto& axis : plan.axes) row.swept[axis.key] = swept_value(jobs[i], axis.key);
    table.push_back(row);
  }
  std::vector<std::string> detector_keys;  // the type, or type.<i> when the type repeats
  for (size_t i = 0; i < detectors.detectors.size(); ++i) {
    std::string key = detectors.types[i];
    if (summary.contains(key)) key += "." + std::to_string(i);
    summary[key] = detectors.detectors[i]->detect(table);
    detector_keys.push_back(key);
  }
  const bool seeded = std::any_of(plan.axes.begin(), plan.axes.end(), [](const SweepAxis& a) { return a.key == "seed"; });
  std::vector<std::pair<std::string, Json>> by_group;
  for (const auto& row : table) {
    std::string group;
    for (const auto& [key, value] : row.swept) if (key != "seed") group += (group.empty() ? "" : " ") + key + "=" + value;
    by_group.emplace_back(group, row.summary);
  }
  const std::vector<std::string> warnings = seeded ? cadence_warnings(by_group) : std::vector<std::string>{};
  if (!warnings.empty()) summary["warnings"] = warnings;
  write_file_atomic(sweep_dir + "/summary.json", summary.dump(2) + "\n");
  if (!quiet) {
    std::cout << "sweep: " << done << " of " << jobs.size() << " jobs done";
    if (!failed.empty()) std::cout << "; failed jobs: " << failed.dump() << " (logs in " << sweep_dir << "/logs/)";
    std::cout << "\n";
    for (const auto& key : expect_order) {
      std::cout << (expectations[key]["holds"].get<bool>() ? "  ok    " : "  FAIL  ") << key << ": "
                << expectations[key]["text"].get<std::string>() << "\n";
    }
    for (const auto& key : detector_keys) std::cout << readable_result(key, summary[key]);
    for (const auto& w : warnings) std::cout << "  warning: " << w << "\n";
    std::cout << "sweep directory: " << sweep_dir << " (sweep.csv, summary.json)\n";
  }
  return failed.empty() && met ? 0 : 1;
}

}  // namespace phenom
