// `phenom list`: every registered component with its options, defaults, constraints and help,
// generated from the same declarations the parser uses.
#include <sstream>

#include "core/text.h"
#include "spec/spec.h"
#include "spec/component.h"

namespace phenom {
namespace {

class Lister : public Visitor {
 public:
  explicit Lister(std::ostringstream& out) : out_(out) {}
  void field(const char* n, int64_t& v, const char* h, const Check& c) override { line(n, std::to_string(v), h, c); }
  void field(const char* n, double& v, const char* h, const Check& c) override { line(n, format_double(v), h, c); }
  void field(const char* n, bool& v, const char* h, const Check& c) override { line(n, v ? "true" : "false", h, c); }
  void field(const char* n, std::string& v, const char* h, const Check& c) override { line(n, v, h, c); }
  void field(const char* n, std::vector<double>& v, const char* h, const Check& c) override {
    std::vector<std::string> items;
    for (double x : v) items.push_back(format_double(x));
    line(n, "[" + join(items) + "]", h, c);
  }
  void field(const char* n, std::vector<std::string>& v, const char* h, const Check& c) override {
    line(n, "[" + join(v) + "]", h, c);
  }
  void field(const char* n, CountOrFull& v, const char* h, const Check& c) override {
    line(n, v.text(), h, c);
  }
  void field(const char* n, Cadence& v, const char* h, const Check& c) override { line(n, v.text(), h, c); }

 private:
  void line(const char* name, const std::string& value, const char* help, const Check& check) {
    std::string constraint = check.describe();
    out_ << "    " << name << " = " << value << (constraint.empty() ? "" : "  (" + constraint + ")") << "\n"
         << "        " << help << "\n";
  }
  std::ostringstream& out_;
};

template <class E>
void list_registry(std::ostringstream& out, const char* title, const std::vector<E>& registry) {
  out << title << ":\n";
  for (const auto& entry : registry) {
    out << "  " << entry.name << ": " << entry.help << "\n";
    auto options = entry.make_options();
    Lister lister(out);
    if constexpr (std::is_same_v<std::decay_t<decltype(*options)>, ProbeOptions>) {
      lister.field("every", options->every,
                   "cadence: N steps or {per_decade: K} (0: train.eval_every)", NonNegative());
    }
    options->visit(lister);
  }
  out << "\n";
}

}  // namespace

std::vector<std::string> component_kinds() {
  return {"tasks", "models", "optimizers", "schedules", "probes", "detectors", "sweep_detectors", "train", "init_from", "analyses", "protocols"};
}

std::string list_components(const std::string& kind) {
  std::ostringstream out;
  bool all = kind.empty();
  if (all || kind == "tasks") list_registry(out, "tasks", task_registry());
  if (all || kind == "models") list_registry(out, "models", model_registry());
  if (all || kind == "optimizers") list_registry(out, "optimizers", optimizer_registry());
  if (all || kind == "schedules") list_registry(out, "schedules", schedule_registry());
  if (all || kind == "probes") list_registry(out, "probes", probe_registry());
  if (all || kind == "detectors") list_registry(out, "detectors", detector_registry());
  if (all || kind == "sweep_detectors") list_registry(out, "sweep_detectors (phenom sweep)", sweep_detector_registry());
  if (all || kind == "protocols") list_registry(out, "protocols (phenom run; docs/lottery.md)", protocol_registry());
  if (all || kind == "train") {
    TrainOptions train;
    out << "train (section):\n";
    Lister lister(out);
    train.visit(lister);
  }
  if (all || kind == "analyses") {
    // The instruments of `phenom analyze`: the probes that can run on a saved checkpoint.
    std::vector<ProbeEntry> usable;
    for (const auto& e : probe_registry()) if (e.make_options()->training_only().empty()) usable.push_back(e);
    list_registry(out, "analyses (phenom analyze RUN_DIR ANALYSIS.yaml; the probes that run on a checkpoint)", usable);
  }
  if (all || kind == "init_from") {
    InitFromOptions init_from;
    out << (all ? "\n" : "") << "init_from (section, optional): start from another run's weights at a step\n";
    Lister lister(out);
    init_from.visit(lister);
  }
  return out.str();
}

}  // namespace phenom
