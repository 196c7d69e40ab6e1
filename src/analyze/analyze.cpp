#include "analyze/analyze.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "analyze/analysis_dir.h"
#include "analyze/instrument_io.h"
#include "analyze/targets.h"
#include "core/error.h"
#include "core/io.h"
#include "core/threads.h"
#include "ops/gemm.h"
#include "core/safetensors.h"
#include "core/text.h"
#include "models/model.h"
#include "probes/probe.h"
#include "run/artifact.h"
#include "run/plot.h"
#include "spec/analysis_spec.h"
#include "tasks/task.h"
#include "train/checkpoint.h"
#include "train/experiment.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

struct Computed {
  int64_t step;
  std::string key;  // "<index>.<type>"
  MetricRow row;
  std::map<std::string, torch::Tensor> tensors;
  std::map<std::string, Export> exports;
};

// Runs every analysis not yet done at `step` on the model system at that step; with `summaries`
// (the last step), also each instrument's final analysis there, done or not.
std::vector<Computed> compute(const RunArtifact& run, const AnalysisSpec& spec, int64_t step,
                              const std::set<std::pair<int64_t, std::string>>& done, Json* summaries) {
  std::vector<Computed> out;
  Experiment ex;
  try {
    ex = run.model_at(step);
  } catch (const CorruptCheckpoint& e) {  // its own advice (resume, --fresh) is for phenom run
    throw RunFailed(e.problem + " Fix: analyze the other steps (--steps without " + std::to_string(step) +
                    "), or rebuild the run's checkpoints with `phenom run " + run.path() + "/spec.yaml --out " +
                    run.path() + " --fresh`.");
  }
  BuildContext context(run.spec(), ex.device);
  context.inputs = ex.task->inputs();
  ProbeContext probe_context{*ex.model, *ex.task, run.spec(), step, run.spec().learning_rate(step)};
  probe_context.reference_activations = reference_activations(run);
  probe_context.reference_checkpoints = reference_checkpoints(run);
  for (size_t i = 0; i < spec.analyses.size(); ++i) {
    const auto& a = spec.analyses[i];
    const std::string key = std::to_string(i) + "." + a.type;
    if (done.count({step, key}) && !summaries) continue;
    auto probe = find_entry(probe_registry(), a.type)->build(*a.options, context);
    Computed c{step, key, MetricRow{step, {}}, {}, {}};
    probe_context.tensors = &c.tensors;
    probe_context.exports = &c.exports;
    const bool measure = !done.count({step, key});
    try {
      if (measure) probe->measure(probe_context, c.row);
    } catch (const std::invalid_argument& e) {  // a component's own check of its options against the model
      throw BadInput("analyses." + std::to_string(i) + " (" + a.type + "): " + e.what());
    } catch (const BadInput& e) {
      throw BadInput("analyses." + std::to_string(i) + " (" + a.type + ") on '" + run.path() + "': " + e.what());
    }
    if (summaries) {
      Json s = Json::object();
      probe->summarize(probe_context, s);
      (*summaries)[key] = s;
    }
    if (measure) out.push_back(std::move(c));
  }
  return out;
}

// Analyses one run; returns whether anything new was computed.
bool analyze_run(const std::string& path, const AnalysisSpec& spec, const std::string& steps_text, bool quiet, bool plot) {
  const RunArtifact run(path);
  for (size_t i = 0; i < spec.analyses.size(); ++i) {
    const std::string needs = spec.analyses[i].options->needs_task();
    if (!needs.empty() && needs != run.spec().task.type) {
      throw BadInput("analyses." + std::to_string(i) + " (" + spec.analyses[i].type + ") reads a " + needs +
                     " task; the run '" + path + "' has task " + run.spec().task.type + ".");
    }
  }
  const std::vector<int64_t> steps = chosen_steps(run, steps_text);
  const std::string hash = hex8(fnv1a64(analysis_hash_text(spec) + "run=" + run.spec_hash() + "\n"));
  const std::string out = path + "/analyses/" + spec.name + "-" + hash;
  const bool existed = fs::exists(out), had_analyses = fs::exists(path + "/analyses");
  const AnalysisLock lock(out);  // one writer; what a killed one left is repaired first
  repair_analysis_dir(out);
  std::set<std::pair<int64_t, std::string>> done;
  Json rows = Json::array();
  if (std::ifstream in(out + "/results.jsonl"); in) {
    for (std::string line; std::getline(in, line);) {
      Json row = Json::parse(line, nullptr, false);
      if (row.is_discarded() || !row.contains("step") || !row.contains("analysis")) continue;  // a torn last line
      done.insert({row["step"].get<int64_t>(), row["analysis"].get<std::string>()});
      rows.push_back(row);
    }
  }
  std::vector<int64_t> todo;
  for (int64_t s : steps) {
    for (size_t i = 0; i < spec.analyses.size(); ++i) {
      if (!done.count({s, std::to_string(i) + "." + spec.analyses[i].type})) { todo.push_back(s); break; }
    }
  }
  const bool finished = run.done();
  if (!finished && !quiet) {
    std::cout << "note: the run '" << path << "' has not finished: this analyses the checkpoints it has now, and "
              << "the analysis is complete only once the run is (the same command then adds the rest)\n";
  }
  if (todo.empty()) {
    if (!quiet) std::cout << (finished ? "already complete: " : "every checkpoint so far is analysed: ") << out << "\n";
    return false;
  }
  // The first step is computed before anything is written: a wrong hook or set leaves nothing behind.
  Json finals = Json::object();  // the instruments' final analyses, at the last step
  const auto summaries_at = [&](int64_t step) { return step == steps.back() ? &finals : nullptr; };
  std::vector<Computed> first;
  try {
    first = compute(run, spec, todo.front(), done, summaries_at(todo.front()));
  } catch (...) {
    std::error_code error;
    if (!existed) fs::remove_all(out, error);
    if (!had_analyses) fs::remove(path + "/analyses", error);  // only when empty
    throw;
  }
  fs::create_directories(out + "/tensors");
  write_file_atomic(out + "/analysis.yaml", resolve_analysis_text(spec));
  AppendFile results;
  results.open(out + "/results.jsonl");
  for (size_t t = 0; t < todo.size(); ++t) {
    std::vector<Computed> computed = t == 0 ? std::move(first) : compute(run, spec, todo[t], done, summaries_at(todo[t]));
    for (auto& c : computed) {
      Json row = {{"step", c.step}, {"analysis", c.key}};
      for (const auto& [name, value] : c.row.values) row[name] = value;
      if (!c.tensors.empty()) {
        const std::string file = "tensors/step_" + std::to_string(c.step) + "." + c.key + ".safetensors";
        write_safetensors(out + "/" + file, c.tensors, {{"run", path}, {"step", std::to_string(c.step)}});
        row["tensors"] = file;
      }
      if (!c.exports.empty()) row["exports"] = write_exports(out, c.step, c.key, c.exports);
      results.append(row.dump() + "\n");  // append-only, like metrics.jsonl
      rows.push_back(row);
      done.insert({c.step, c.key});
    }
    results.sync();
    if (!quiet) std::cout << "analysed step " << todo[t] << " of " << path << "\n";
  }
  results.close();
  // summary.json: per analysis, its values at the last step analysed and its final analysis there.
  if (todo.back() != steps.back()) compute(run, spec, steps.back(), done, &finals);  // measured earlier
  Json summary = {{"run", path}, {"run_spec_hash", run.spec_hash()}, {"steps", steps}};
  Json analyses = Json::object();
  for (size_t i = 0; i < spec.analyses.size(); ++i) {
    const std::string key = std::to_string(i) + "." + spec.analyses[i].type;
    Json entry = {{"type", spec.analyses[i].type}, {"step", steps.back()}};
    for (const auto& row : rows) {
      if (row["analysis"] != key || row["step"] != steps.back()) continue;
      Json values = Json::object();
      for (const auto& [name, value] : row.items()) if (value.is_number() && name != "step") values[name] = value;
      entry["final"] = values;
    }
    if (finals.contains(key) && !finals[key].empty()) entry["summary"] = finals[key];
    analyses[key] = entry;
  }
  summary["analyses"] = analyses;
  write_file_atomic(out + "/summary.json", summary.dump(2) + "\n");
  if (finished) write_file_atomic(out + "/DONE", "\n");
  else fs::remove(out + "/DONE");  // from before the run was started over
  if (!quiet) std::cout << "analysis directory: " << out << "\n";
  if (plot && plotting_unavailable_reason().empty()) {
    try {
      plot_run(out);
      if (!quiet) std::cout << "figures: " << out << "/plots/\n";
    } catch (const std::exception& e) {
      std::cerr << "warning: " << e.what() << "\n";  // the analysis itself is complete
    }
  }
  return true;
}

}  // namespace

int run_analysis(const AnalyzeRequest& request) {
  AnalysisSpec spec = load_analysis_spec(request.spec_path, request.overrides);
  const std::string steps = request.steps.empty() ? spec.steps : request.steps;
  if (std::string problem = check_steps_text(steps); !problem.empty()) throw BadInput("--steps: " + problem + ".");
  spec.steps = steps;  // analysis.yaml records the steps asked for last
  const std::vector<std::string> runs = target_runs(request.target);
  // The instruments' forward passes are large: the budget goes to the pool the matmuls use.
  configure_threads(request.threads, Dtype::kFloat32, 1e12, gemm_kernel());
  const bool sweep = !RunArtifact::is_run(request.target);
  for (const auto& run : runs) {
    if (sweep && RunArtifact::state_of(run) != RunState::kDone) {
      if (!request.quiet) std::cout << "skipped (not finished): " << run << "\n";
      continue;
    }
    analyze_run(run, spec, steps, request.quiet, request.plot);
  }
  return 0;
}

}  // namespace phenom
