#include "train/preflight.h"

#include <ATen/Context.h>

#include "core/error.h"
#include "core/text.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "probes/probe.h"
#include "spec/component.h"
#include "tasks/task.h"

namespace phenom {
namespace {

// The string options of a detector that name a metric: `metric` and `*_metric`.
class MetricOptions : public Visitor {
 public:
  std::vector<std::pair<std::string, std::string>> found;  // option, metric
  void field(const char*, int64_t&, const char*, const Check&) override {}
  void field(const char*, double&, const char*, const Check&) override {}
  void field(const char*, bool&, const char*, const Check&) override {}
  void field(const char* name, std::string& value, const char*, const Check&) override {
    const std::string key = name;
    const std::string suffix = "_metric";
    if (key == "metric" || (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0)) {
      found.emplace_back(key, value);
    }
  }
  void field(const char*, std::vector<double>&, const char*, const Check&) override {}
  void field(const char*, std::vector<std::string>&, const char*, const Check&) override {}
  void field(const char*, CountOrFull&, const char*, const Check&) override {}
  void field(const char*, Cadence&, const char*, const Check&) override {}
};

// Restores the global generators (CPU, and the run's device) when it goes out of scope.
class GeneratorsKept {
 public:
  explicit GeneratorsKept(torch::Device device) {
    generators_.push_back(at::globalContext().defaultGenerator(torch::kCPU));
    if (!device.is_cpu()) generators_.push_back(at::globalContext().defaultGenerator(device));
    for (auto& g : generators_) states_.push_back(g.get_state());
  }
  ~GeneratorsKept() {
    for (size_t i = 0; i < generators_.size(); ++i) generators_[i].set_state(states_[i]);
  }

 private:
  std::vector<at::Generator> generators_;
  std::vector<torch::Tensor> states_;
};

std::string listed(const std::set<std::string>& names) {
  std::vector<std::string> all(names.begin(), names.end());
  if (all.size() > 12) {
    const size_t more = all.size() - 12;
    all.resize(12);
    all.push_back("... (" + std::to_string(more) + " more)");
  }
  return join(all);
}

}  // namespace

std::set<std::string> preflight_metrics(const Spec& spec, const std::vector<std::string>& overrides, Experiment& ex) {
  GeneratorsKept kept(ex.device);
  BuildContext context(spec, ex.device);
  context.inputs = ex.task->inputs();
  for (auto& p : ex.model->parameters()) if (p.requires_grad()) context.parameters.push_back(p);
  ProbeContext probe_context{*ex.model, *ex.task, spec, 0, spec.learning_rate(0)};
  probe_context.optimizer = ex.optimizer.get();
  MetricRow row{0, {}};
  std::vector<std::pair<std::string, std::string>> problems;
  for (size_t i = 0; i < spec.probes.size(); ++i) {
    const auto& p = spec.probes[i];
    const std::string key = i < spec.implicit_probes ? "probes" : "probes." + std::to_string(i - spec.implicit_probes);
    try {
      find_entry(probe_registry(), p.type)->build(*p.options, context)->measure(probe_context, row);
    } catch (const SpecError&) {
      throw;
    } catch (const std::exception& e) {
      ex.model->hooks().clear();
      std::string why = e.what();
      if (!why.empty() && why.back() != '.') why += '.';
      problems.emplace_back(key, "probe '" + p.type + "' cannot measure this model and task: " + why +
                                     " Fix the probe's options, or remove it.");
    }
  }
  if (!problems.empty()) throw spec_error_at(spec, overrides, problems);
  for (auto& c : ex.callbacks) c->at_measure(0, row);
  std::set<std::string> names;
  for (const auto& [name, value] : row.values) names.insert(name);
  if (!ex.task->eval_set("train")) names.insert("train/batch_loss");
  for (const auto& p : spec.probes) {
    if (p.type == "grad_norm") names.insert("grad_norm");  // from the first step on: there is no gradient at step 0
  }
  if (spec.train.fit == Fit::kMinNorm) {
    for (const char* n : {"fit/rank", "fit/cutoff", "fit/smallest_kept_singular_value", "fit/coef_norm"}) names.insert(n);
  }
  return names;
}

void preflight(const Spec& spec, const std::vector<std::string>& overrides, Experiment& ex) {
  const std::set<std::string> names = preflight_metrics(spec, overrides, ex);
  std::vector<std::pair<std::string, std::string>> problems;
  const auto missing = [&](const std::string& key, const std::string& metric, const std::string& who) {
    if (names.count(metric)) return;
    std::string message = who + " reads the metric '" + metric + "', which no probe of this run produces";
    std::string near = closest_match(metric, {names.begin(), names.end()});
    for (const auto& name : names) {  // test/accuracy -> test/acc
      if (near.empty() && (metric.rfind(name, 0) == 0 || name.rfind(metric, 0) == 0) && name.find('/') != std::string::npos) {
        near = name;
      }
    }
    if (!near.empty()) {
      message += " (did you mean '" + near + "'?)";
    }
    problems.emplace_back(key, message + ". The run's metrics: " + listed(names) +
                                   ". Fix: name one of them, or add the probe that produces it.");
  };
  for (size_t j = 0; j < spec.detectors.size(); ++j) {
    MetricOptions reads;
    spec.detectors[j].options->visit(reads);
    for (const auto& [option, metric] : reads.found) {
      missing("detectors." + std::to_string(j) + "." + option, metric, "detector '" + spec.detectors[j].type + "'");
    }
  }
  if (spec.train.stop_train_acc > 0) missing("train.stop_train_acc", "train/acc", "the stop condition");
  for (const auto& e : spec.expect) {
    if (e.key.rfind("final.", 0) == 0) missing("expect." + e.key, e.key.substr(6), "this expectation");
  }
  if (!problems.empty()) throw spec_error_at(spec, overrides, problems);
}

}  // namespace phenom
