// The resolved spec: every section, every option with its value, in declaration order.
#include <yaml-cpp/yaml.h>

#include "core/text.h"
#include "spec/spec.h"

namespace phenom {
namespace {

class Emitter : public Visitor {
 public:
  explicit Emitter(YAML::Emitter& out) : out_(out) {}
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
  void field(const char* name, CountOrFull& v, const char*, const Check&) override {
    out_ << YAML::Key << name << YAML::Value;
    if (v.full()) out_ << "full"; else out_ << v.n;
  }

 private:
  YAML::Emitter& out_;
};

template <class OptionsT>
void emit_component(YAML::Emitter& out, const Component<OptionsT>& c) {
  Emitter emitter(out);
  out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << c.type;
  if constexpr (std::is_same_v<OptionsT, ProbeOptions>) emitter.field("every", c.options->every, "", {});
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
  emitter.field("dtype", s.dtype, "", {});
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
  out << YAML::Key << "probes" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : spec.probes) emit_component(out, p);
  out << YAML::EndSeq;
  out << YAML::Key << "phenomena" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : spec.phenomena) emit_component(out, d);
  out << YAML::EndSeq;
  out << YAML::Key << "expect" << YAML::Value << YAML::BeginMap;
  for (const auto& e : spec.expect) {
    out << YAML::Key << e.key << YAML::Value;
    if (e.op == "==") out << e.value; else out << YAML::DoubleQuoted << e.text();
  }
  out << YAML::EndMap;
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

std::string spec_hash(const Spec& spec) { return hex8(fnv1a64(resolve_text(spec, /*with_sweep=*/false))); }

}  // namespace phenom
