// Loading a spec: parse YAML, apply overrides, read every section into typed structs, validate,
// and throw every problem at once.
#include "spec/spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/device.h"
#include "core/error.h"
#include "core/io.h"
#include "core/text.h"
#include "spec/reader.h"
#include "spec/component.h"

namespace phenom {
namespace {

const std::vector<std::string> kSections = {"name",  "seed",  "device",  "dtype",  "threads",  "task",
                                            "model", "optimizer", "schedule", "train", "init_from", "mask", "protocol", "probes",
                                            "detectors", "expect", "sweep", "slurm", "sweep_detectors"};

// A fixed (type-less) section such as train: or slurm:, when present.
void read_section(const YAML::Node& root, const char* key, OptionsBase& options, const char* example,
                  LoadContext& context) {
  const YAML::Node node = root[key];
  if (!node) return;
  if (!node.IsMap()) {
    context.add(key, node, "found " + describe_node(node) + "; allowed: a mapping (" + example + ").");
    return;
  }
  Reader reader(node, key, context);
  options.visit(reader);
  reader.finish();
}

const std::vector<std::string> kOps = {">=", "<=", "==", "!=", ">", "<"};

Expectation parse_expectation(const std::string& key, const YAML::Node& node, LoadContext& context,
                              const std::string& path) {
  Expectation e{key, "==", ""};
  if (!node.IsScalar()) {
    context.add(path, node, "found " + describe_node(node) + "; allowed: a value (true, 0.95) or a comparison "
                            "string such as \">= 0.95\".");
    return e;
  }
  std::string text = node.Scalar();
  bool has_op = false;
  for (const auto& op : kOps) {
    if (text.rfind(op, 0) == 0) {
      e.op = op;
      text = text.substr(op.size());
      has_op = true;
      break;
    }
  }
  // Something that looks like a comparison but is none (=>, =<, ≥, ≤, ≠) would be compared as text
  // and never hold: refuse it.
  const bool looks_like_op = !text.empty() && (std::string("<>=!").find(text[0]) != std::string::npos ||
                                               text.rfind("\u2265", 0) == 0 || text.rfind("\u2264", 0) == 0 ||
                                               text.rfind("\u2260", 0) == 0);
  if (!has_op && looks_like_op) {
    context.add(path, node, "found " + describe_node(node) + ", which is not a comparison phenom reads; allowed "
                            "operators: " + join(kOps) + " (ASCII), e.g. \">= 0.95\".");
    return e;
  }
  text.erase(0, text.find_first_not_of(' '));
  text.erase(text.find_last_not_of(' ') + 1);
  e.value = text;
  double number = 0;
  const bool numeric = YAML::convert<double>::decode(YAML::Node(text), number);
  if (e.op != "==" && e.op != "!=" && !numeric) {
    context.add(path, node, "found " + describe_node(node) + "; a comparison needs a number, e.g. \">= 1.5\".");
  } else if (numeric && std::isnan(number)) {
    context.add(path, node, "found " + describe_node(node) + ": nothing compares to NaN, so it would never decide anything. "
                            "Fix: compare with a number, e.g. \">= 0.0\".");
  }
  if (text.empty()) context.add(path, node, "the expected value is empty; e.g. \">= 0.95\" or true.");
  return e;
}

// Run directories written before the detector lists were named `detectors` spell them
// `phenomena` and `sweep_phenomena` in their spec.yaml; those still open.
void read_older_spellings(YAML::Node& root, LoadContext& context) {
  if (!root.IsMap()) return;
  for (const auto& [older, key] : {std::pair<const char*, const char*>{"phenomena", "detectors"},
                                   {"sweep_phenomena", "sweep_detectors"}}) {
    if (!root[older]) continue;
    if (root[key]) {
      context.add(older, root[older], std::string("the spec also has '") + key + "', the same list: keep one ('" +
                                          key + "').");
      continue;
    }
    root[key] = root[older];
    root.remove(older);
  }
}

void read_spec(const YAML::Node& root, Spec& spec, LoadContext& context) {
  if (!root.IsMap()) {
    context.add("", root, "the spec must be a YAML mapping with sections " + join(kSections) + ".");
    return;
  }
  Reader top(root, "", context, {"task", "model", "optimizer", "schedule", "train", "init_from", "protocol", "probes", "detectors",
                                 "expect", "sweep", "slurm", "sweep_detectors", "mask_hash"});
  Visitor& fields = top;  // defaults of the Visitor signature
  fields.field("name", spec.name, "run family name (directory runs/<name>/<hash8>)");
  fields.field("seed", spec.seed, "derives the init, data and batch-order generators", NonNegative());
  fields.field("device", spec.device, "auto | cpu | cuda | cuda:N");
  fields.field("dtype", spec.dtype, "parameter and feature dtype");
  fields.field("threads", spec.threads,
               "CPU budget of a run when --threads is not given (0: all cores); results do not depend on it",
               NonNegative());
  fields.field("mask", spec.mask, "a weight mask (safetensors, parameter name -> 0/1) kept after every step");
  top.finish();
  if (std::string e = check_device_syntax(spec.device); !e.empty()) {
    context.add("device", root["device"], "found '" + spec.device + "'; allowed: auto, cpu, cuda, cuda:N.");
  } else if (std::string reason = device_unavailable_reason(spec.device); !reason.empty()) {
    context.add("device", root["device"], reason);
  }
  const bool control = std::any_of(spec.name.begin(), spec.name.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (spec.name.empty() || spec.name.find('/') != std::string::npos || spec.name == "." || spec.name == ".." ||
      control || spec.name.size() > 200) {
    context.add("name", root["name"], "found '" + (control ? std::string("(control characters)") : spec.name.substr(0, 60)) +
                "'; the name is a directory under runs/: 1-200 characters, no '/', no control characters, not "
                "'.' or '..'. Fix: e.g. name: my-experiment.");
  }

  auto required = [&](const char* key) {
    YAML::Node n = root[key];
    if (!n) context.add(key, root, std::string("missing section '") + key + "' (see `phenom list`).");
    return n;
  };
  if (YAML::Node n = required("task")) spec.task = read_component<TaskOptions>(n, "task", task_registry(), "task", context);
  if (YAML::Node n = required("model")) spec.model = read_component<ModelOptions>(n, "model", model_registry(), "model", context);
  if (YAML::Node n = required("optimizer")) {
    spec.optimizer = read_component<OptimizerOptions>(n, "optimizer", optimizer_registry(), "optimizer", context);
  }
  const YAML::Node schedule = root["schedule"] ? root["schedule"] : YAML::Load("{type: constant}");
  spec.schedule = read_component<ScheduleOptions>(schedule, "schedule", schedule_registry(), "schedule", context);

  read_section(root, "train", spec.train, "steps, batch_size, ...", context);
  read_init_from(root, spec, context);
  if (YAML::Node n = root["protocol"]; n && !n.IsNull()) {
    spec.protocol = read_component<OptionsBase>(n, "protocol", protocol_registry(), "protocol", context);
  }

  auto read_list = [&](const char* key, auto& out, const auto& registry, const char* kind) {
    YAML::Node list = root[key];
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) {
      context.add(key, list, "found " + describe_node(list) + "; allowed: a list of {type: ...} mappings.");
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      using OptionsT = typename std::decay_t<decltype(out)>::value_type::OptionsType;
      auto c = read_component<OptionsT>(list[i], std::string(key) + "." + std::to_string(i), registry, kind, context);
      if (c.options) out.push_back(c);
    }
  };
  read_list("probes", spec.probes, probe_registry(), "probe");
  read_list("detectors", spec.detectors, detector_registry(), "detector");
  read_list("sweep_detectors", spec.sweep_detectors, sweep_detector_registry(), "sweep detector");

  // loss_accuracy is on by default: add it at the default cadence unless the spec lists it.
  bool has_loss_accuracy = false;
  for (const auto& p : spec.probes) has_loss_accuracy |= p.type == "loss_accuracy";
  if (!has_loss_accuracy && find_entry(probe_registry(), "loss_accuracy")) {
    Component<ProbeOptions> c{"loss_accuracy", find_entry(probe_registry(), "loss_accuracy")->make_options()};
    spec.probes.insert(spec.probes.begin(), c);
    spec.implicit_probes = 1;
  }
  for (auto& p : spec.probes) {
    if (p.options->every.unset()) p.options->every = spec.train.eval_every;
  }

  if (YAML::Node expect = root["expect"]) {
    std::vector<std::string> roots = {"final", "status", "steps", "steps_per_second", "wall_seconds"};
    for (const auto& d : spec.detectors) roots.push_back(d.type);
    for (const auto& p : spec.probes) roots.push_back(p.type);  // probes' final analyses
    if (!spec.protocol.type.empty()) roots.push_back(spec.protocol.type);  // the protocol's summary
    if (!expect.IsMap()) {
      context.add("expect", expect, "found " + describe_node(expect) + "; allowed: a mapping such as "
                                    "`grokking.detected: true`.");
    } else {
      for (auto it = expect.begin(); it != expect.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string path = "expect." + key;
        std::string head = key.substr(0, key.find('.'));
        if (std::find(roots.begin(), roots.end(), head) == roots.end()) {
          std::string near = closest_match(head, roots);
          context.add(path, it->first, "'" + head + "' is not a summary section" +
                                           (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                           " Allowed: " + join(roots) +
                                           " (a detector's type must also be listed under detectors).");
          continue;
        }
        spec.expect.push_back(parse_expectation(key, it->second, context, path));
      }
    }
  }

  read_section(root, "slurm", spec.slurm, "partition, time, mem, ...", context);
  if (YAML::Node sweep = root["sweep"]) {
    if (!sweep.IsMap()) {
      context.add("sweep", sweep, "found " + describe_node(sweep) + "; allowed: a mapping key: [values].");
    } else {
      for (auto it = sweep.begin(); it != sweep.end(); ++it) {
        std::vector<std::string> values;
        if (it->second.IsSequence()) {
          for (const auto& v : it->second) values.push_back(YAML::Dump(v));
        } else if (it->second.IsScalar()) {
          values.push_back(it->second.Scalar());
        } else {
          context.add("sweep." + it->first.Scalar(), it->second, "allowed: a list of values.");
        }
        spec.sweep.emplace_back(it->first.Scalar(), values);
      }
    }
  }

  check_across_sections(root, spec, context);
}

}  // namespace

std::string Problem::text() const {
  return location + ": " + (key.empty() ? "" : key + ": ") + message;
}

SpecError::SpecError(std::vector<Problem> p) : problems(std::move(p)) {
  summary = std::to_string(problems.size()) + " problem" + (problems.size() == 1 ? "" : "s") + " in the spec:";
  for (const auto& problem : problems) summary += "\n  error: " + problem.text();
}

YAML::Node parse_with_overrides(const std::string& yaml, const std::vector<std::string>& overrides,
                                LoadContext& context) {
  YAML::Node root;
  try {
    root = parse_one_document(yaml, context);
    if (context.problems.empty()) compose_defaults(root, context);
  } catch (const YAML::ParserException& e) {
    throw SpecError({{"", context.source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
                      "malformed YAML: " + e.msg + ". Fix the syntax at that position (indentation, a missing "
                      "':' or an unclosed bracket are the usual causes)."}});
  }
  if (!context.problems.empty()) throw SpecError(context.problems);
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  read_older_spellings(root, context);
  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string& o = overrides[i];
    if (invalid_utf8_at(o) != std::string::npos) {
      throw SpecError({{"", "command line override " + std::to_string(i + 1), "it is not UTF-8 text. Fix: retype it."}});
    }
    apply_override(root, o, context);
  }
  return root;
}

std::string read_spec_file(const std::string& path, const std::string& what) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw SpecError({{"", path, "this is a directory, not a " + what + ". Fix: name a YAML file (e.g. " +
                                    (path.empty() || path.back() == '/' ? path : path + "/") + "spec.yaml)."}});
  }
  try {
    return read_file(path);
  } catch (const BadInput&) {
    throw SpecError({{"", path, "cannot read the " + what + ". Fix: check the path (relative paths are relative to "
                                "the current directory)."}});
  }
}

Spec load_spec_text(const std::string& yaml, const std::vector<std::string>& overrides, const std::string& source) {
  LoadContext context;
  context.source = source;
  YAML::Node root = parse_with_overrides(yaml, overrides, context);
  Spec spec;
  spec.source = source;
  if (context.problems.empty()) read_spec(root, spec, context);
  if (!context.problems.empty()) throw SpecError(context.problems);
  return spec;
}

Spec load_spec(const std::string& path, const std::vector<std::string>& overrides) {
  return load_spec_text(read_spec_file(path, "spec file"), overrides, path);
}


bool Cadence::due(int64_t step) const {
  if (step <= 0) return step == 0;
  if (every > 0 && step % every == 0) return true;
  if (per_decade <= 0) return false;
  if (step == 1) return true;
  // Due when [step - 1, step] passes a grid point 10^(k / per_decade): the floor of K log10 moves.
  const auto grid = [this](int64_t s) {
    return static_cast<int64_t>(std::floor(static_cast<double>(per_decade) * std::log10(static_cast<double>(s))));
  };
  return grid(step) > grid(step - 1);
}

std::string Cadence::text() const {
  if (per_decade == 0) return std::to_string(every);
  return "{per_decade: " + std::to_string(per_decade) + (every > 0 ? ", every: " + std::to_string(every) : "") + "}";
}

std::string InputSpec::shape() const {
  const auto n = [](int64_t v) { return std::to_string(v); };
  switch (kind) {
    case Kind::kTokens: return "tokens [" + n(seq_len) + "] over " + n(vocab_size) + " ids";
    case Kind::kVectors: return "vectors [" + n(seq_len) + ", " + n(feature_dim) + "]";
    case Kind::kImages: return "images [" + n(channels) + ", " + n(height) + ", " + n(width) + "]";
    case Kind::kFeatures: break;
  }
  return "features [" + n(feature_dim) + "]";
}

std::string InputSpec::describe() const {
  const std::string targets = regression ? std::string("real-valued targets") : std::to_string(num_classes) + " classes";
  const std::string where = per_position ? " at every position" : "";
  if (kind == Kind::kTokens) {
    return "token sequences of length " + std::to_string(seq_len) + " over " + std::to_string(vocab_size) +
           " tokens, " + targets + where + "; " + shape();
  }
  if (kind == Kind::kFeatures) return "feature vectors of width " + std::to_string(feature_dim) + ", " + targets;
  return shape() + ", " + targets + where;
}

double InputSpec::values_per_example() const {
  const auto d = [](int64_t v) { return static_cast<double>(v); };
  switch (kind) {
    case Kind::kTokens: return d(seq_len);
    case Kind::kVectors: return d(seq_len) * d(feature_dim);
    case Kind::kImages: return d(channels) * d(height) * d(width);
    case Kind::kFeatures: break;
  }
  return d(feature_dim);
}

std::string Expectation::text() const { return op == "==" ? value : op + " " + value; }

}  // namespace phenom
