// The resolved spec: every section, every option with its value, in declaration order.
#include <yaml-cpp/yaml.h>

#include "core/text.h"
#include "spec/analysis_spec.h"
#include "spec/spec.h"

namespace phenom {
namespace {

class Emitter : public Visitor {
 public:
  explicit Emitter(YAML::Emitter& out) : out_(out) {}
  using Visitor::field;  // the closed sets of words, as their spellings
  void field(const char* name, int64_t& v, const char*, const Check&) override { out_ << YAML::Key << name << YAML::Value << v; }
  void field(const char* name, double& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value << format_double(v);
  }
  void field(const char* name, bool& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value << (v ? "true" : "false");
  }
  void field(const char* name, std::string& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value << v;
  }
  void field(const char* name, std::vector<double>& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double x : v) out_ << format_double(x);
    out_ << YAML::EndSeq;
  }
  void field(const char* name, std::vector<std::string>& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& x : v) out_ << x;
    out_ << YAML::EndSeq;
  }
  void field(const char* name, CountOrFull& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value;
    if (v.full()) out_ << v.word; else out_ << v.n;
  }
  void field(const char* name, Cadence& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value << YAML::Load(v.text());  // text() is YAML: one spelling
  }

 private:
  YAML::Emitter& out_;
};

template <class OptionsT>
void emit_component(YAML::Emitter& out, const Component<OptionsT>& c, bool with_cadence = true) {
  Emitter emitter(out);
  out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << c.type;
  if constexpr (std::is_same_v<OptionsT, ProbeOptions>) {
    if (with_cadence) emitter.field("every", c.options->every, "", {});
  }
  c.options->visit(emitter);
  out << YAML::EndMap;
}

}  // namespace

std::string resolve_text(const Spec& spec, bool with_sweep) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emitter emitter(out);
  Spec& s = const_cast<Spec&>(spec);  // visitors take references; the emitter only reads
  out << YAML::BeginMap;
  emitter.field("name", s.name, "", {});
  emitter.field("seed", s.seed, "", {});
  emitter.field("device", s.device, "", {});
  emitter.field("dtype", s.dtype, "");
  emitter.field("threads", s.threads, "", {});
  if (!spec.mask.empty()) {  // with its content's hash, so that the stored spec opens after the file moves
    emitter.field("mask", s.mask, "", {});
    out << YAML::Key << "mask_hash" << YAML::Value << spec.mask_hash;
  }
  out << YAML::Key << "task" << YAML::Value;
  emit_component(out, spec.task);
  out << YAML::Key << "model" << YAML::Value;
  emit_component(out, spec.model);
  out << YAML::Key << "optimizer" << YAML::Value;
  emit_component(out, spec.optimizer);
  out << YAML::Key << "schedule" << YAML::Value;
  emit_component(out, spec.schedule);
  out << YAML::Key << "train" << YAML::Value << YAML::BeginMap;
  s.train.visit(emitter);
  out << YAML::EndMap;
  if (spec.init_from.set()) {
    // The resolved source, so that the stored spec opens from any directory; its hash, so that it
    // still opens when the source has moved.
    InitFromOptions resolved = spec.init_from;
    resolved.run = spec.init_from.source_file.empty() ? spec.init_from.source_dir : spec.init_from.source_file;
    out << YAML::Key << "init_from" << YAML::Value << YAML::BeginMap;
    resolved.visit(emitter);
    out << YAML::Key << "source_hash" << YAML::Value << spec.init_from.source_hash;
    out << YAML::EndMap;
  }
  out << YAML::Key << "probes" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : spec.probes) emit_component(out, p);
  out << YAML::EndSeq;
  out << YAML::Key << "detectors" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : spec.detectors) emit_component(out, d);
  out << YAML::EndSeq;
  out << YAML::Key << "expect" << YAML::Value << YAML::BeginMap;
  for (const auto& e : spec.expect) {
    out << YAML::Key << e.key << YAML::Value;
    if (e.op == "==") out << e.value; else out << YAML::DoubleQuoted << e.text();
  }
  out << YAML::EndMap;
  if (with_sweep && !spec.sweep_detectors.empty()) {
    out << YAML::Key << "sweep_detectors" << YAML::Value << YAML::BeginSeq;
    for (const auto& d : spec.sweep_detectors) emit_component(out, d);
    out << YAML::EndSeq;
  }
  if (with_sweep && !spec.protocol.type.empty()) {
    out << YAML::Key << "protocol" << YAML::Value;
    emit_component(out, spec.protocol);
  }
  if (with_sweep) {
    out << YAML::Key << "slurm" << YAML::Value << YAML::BeginMap;
    s.slurm.visit(emitter);
    out << YAML::EndMap;
  }
  if (with_sweep && !spec.sweep.empty()) {
    out << YAML::Key << "sweep" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, values] : spec.sweep) {
      out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& v : values) out << v;
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

namespace {

// Collects "name=value" texts of an options struct, in declaration order.
class Collector : public Visitor {
 public:
  std::vector<std::pair<std::string, std::string>> items;
  void field(const char* n, int64_t& v, const char*, const Check&) override { items.emplace_back(n, std::to_string(v)); }
  void field(const char* n, double& v, const char*, const Check&) override { items.emplace_back(n, format_double(v)); }
  void field(const char* n, bool& v, const char*, const Check&) override { items.emplace_back(n, v ? "true" : "false"); }
  void field(const char* n, std::string& v, const char*, const Check&) override { items.emplace_back(n, v); }
  void field(const char* n, std::vector<double>& v, const char*, const Check&) override {
    std::string text;
    for (double x : v) text += format_double(x) + ",";
    items.emplace_back(n, text);
  }
  void field(const char* n, std::vector<std::string>& v, const char*, const Check&) override {
    std::string text;
    for (const auto& x : v) text += x + ",";
    items.emplace_back(n, text);
  }
  void field(const char* n, CountOrFull& v, const char*, const Check&) override {
    items.emplace_back(n, v.text());
  }
  void field(const char* n, Cadence& v, const char*, const Check&) override { items.emplace_back(n, v.text()); }
};

// "prefix.name=value\n" for every field whose value differs from the default-constructed struct's.
std::string non_default_lines(const std::string& prefix, OptionsBase& value, OptionsBase& defaults) {
  Collector actual, initial;
  value.visit(actual);
  defaults.visit(initial);
  std::string out;
  for (size_t i = 0; i < actual.items.size(); ++i) {
    if (actual.items[i].second != initial.items[i].second) {
      out += prefix + "." + actual.items[i].first + "=" + actual.items[i].second + "\n";
    }
  }
  return out;
}

template <class OptionsT, class EntryT>
std::string component_lines(const std::string& prefix, const Component<OptionsT>& c, const std::vector<EntryT>& registry) {
  auto defaults = find_entry(registry, c.type)->make_options();
  std::string out = prefix + ".type=" + c.type + "\n";
  if constexpr (std::is_same_v<OptionsT, ProbeOptions>) out += prefix + ".every=" + c.options->every.text() + "\n";
  return out + non_default_lines(prefix, *c.options, *defaults);
}

}  // namespace

// Like open_lth, the hash covers only values that differ from their defaults, so adding an option
// (with a default) to phenom does not move existing runs to new directories.
std::string spec_hash_text(const Spec& spec) {
  Spec defaults;
  std::string text = "name=" + spec.name + "\nseed=" + std::to_string(spec.seed) + "\ndtype=" + word(spec.dtype) + "\n";
  text += "device=" + spec.device + "\n";
  if (!spec.mask.empty()) text += "mask=" + spec.mask_hash + "\n";  // by content
  text += component_lines("task", spec.task, task_registry());
  text += component_lines("model", spec.model, model_registry());
  text += component_lines("optimizer", spec.optimizer, optimizer_registry());
  text += component_lines("schedule", spec.schedule, schedule_registry());
  TrainOptions train = spec.train, train_defaults;
  text += non_default_lines("train", train, train_defaults);
  if (spec.init_from.set()) {  // content-addressed: the source's hash, not where it lies
    text += "init_from.run=" + spec.init_from.source_hash + "\ninit_from.step=" +
            std::to_string(spec.init_from.step_number()) + "\n";
  }
  for (size_t i = 0; i < spec.probes.size(); ++i) text += component_lines("probes." + std::to_string(i), spec.probes[i], probe_registry());
  for (size_t i = 0; i < spec.detectors.size(); ++i) {  // the hash text's older label: runs keep their directories
    text += component_lines("phenomena." + std::to_string(i), spec.detectors[i], detector_registry());
  }
  for (const auto& e : spec.expect) text += "expect." + e.key + "=" + e.text() + "\n";
  if (!spec.protocol.type.empty()) text += component_lines("protocol", spec.protocol, protocol_registry());
  return text;
}

std::string spec_hash(const Spec& spec) { return hex8(fnv1a64(spec_hash_text(spec))); }

std::string derived_run_text(const Spec& base, const std::string& init_run, const std::string& init_step,
                             const std::string& mask) {
  Spec run = base;
  run.protocol = {};
  run.expect.clear();
  run.init_from = {};
  run.mask.clear();
  YAML::Node root = YAML::Load(resolve_text(run, /*with_sweep=*/false));
  if (!init_run.empty()) {
    root["init_from"]["run"] = init_run;
    root["init_from"]["step"] = init_step;
  }
  if (!mask.empty()) root["mask"] = mask;
  YAML::Emitter out;
  out.SetIndent(2);
  out << root;
  return std::string(out.c_str()) + "\n";
}



std::string resolve_analysis_text(const AnalysisSpec& spec) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << spec.name;
  out << YAML::Key << "steps" << YAML::Value;
  if (spec.steps == "all" || spec.steps == "last") {
    out << spec.steps;
  } else {
    out << YAML::Flow << YAML::BeginSeq;
    size_t start = 0;
    while (start <= spec.steps.size()) {
      const size_t comma = std::min(spec.steps.find(',', start), spec.steps.size());
      out << std::stoll(spec.steps.substr(start, comma - start));
      start = comma + 1;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "analyses" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : spec.analyses) emit_component(out, a, /*with_cadence=*/false);
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string analysis_hash_text(const AnalysisSpec& spec) {
  std::string text = "name=" + spec.name + "\n";
  for (size_t i = 0; i < spec.analyses.size(); ++i) {
    text += component_lines("analyses." + std::to_string(i), spec.analyses[i], probe_registry());
  }
  return text;
}

}  // namespace phenom
