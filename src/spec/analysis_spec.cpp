#include "spec/analysis_spec.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/text.h"
#include "spec/reader.h"

namespace phenom {

std::string check_steps_text(const std::string& steps) {
  if (steps == "all" || steps == "last") return "";
  if (steps.empty() || steps.find_first_not_of("0123456789,") != std::string::npos || steps.front() == ',' ||
      steps.back() == ',' || steps.find(",,") != std::string::npos) {
    return "found '" + steps + "'; allowed: all, last, or a list of steps (e.g. [100, 1000], or 100,1000 on the "
           "command line)";
  }
  for (size_t start = 0; start < steps.size();) {
    const size_t comma = std::min(steps.find(',', start), steps.size());
    if (comma - start > 18) return "found the step '" + steps.substr(start, comma - start) + "', beyond any run's steps (at most 18 digits)";
    start = comma + 1;
  }
  return "";
}

AnalysisSpec load_analysis_spec_text(const std::string& yaml, const std::vector<std::string>& overrides,
                                     const std::string& source, const std::string& default_name) {
  LoadContext context;
  context.source = source;
  YAML::Node root = parse_with_overrides(yaml, overrides, context);
  AnalysisSpec spec;
  spec.source = source;
  spec.name = default_name;
  if (!root.IsMap()) {
    context.add("", root, "an analysis spec is a mapping with name, steps and analyses.");
    throw SpecError(context.problems);
  }
  Reader top(root, "", context, {"steps", "analyses"});
  Visitor& fields = top;
  fields.field("name", spec.name, "directory name analyses/<name>-<hash8>");
  top.finish();
  if (spec.name.empty() || spec.name.find('/') != std::string::npos) {
    context.add("name", root["name"], "the name is used as a directory: non-empty, without '/'.");
  }
  if (const YAML::Node steps = root["steps"]) {
    if (steps.IsSequence()) {
      std::vector<std::string> items;
      for (const auto& s : steps) items.push_back(s.IsScalar() ? s.Scalar() : "?");
      spec.steps = join(items, ",");
    } else if (steps.IsScalar()) {
      spec.steps = steps.Scalar();
    } else {
      spec.steps = "?";
    }
    if (std::string problem = check_steps_text(spec.steps); !problem.empty()) context.add("steps", steps, problem + ".");
  }
  const YAML::Node list = root["analyses"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    context.add("analyses", list ? list : root, "missing or empty; allowed: a list of {type: ...} mappings (see "
                                                "`phenom list analyses`). Fix: e.g. analyses: [{type: fourier}].");
  } else {
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "analyses." + std::to_string(i);
      auto c = read_component<ProbeOptions>(list[i], path, probe_registry(), "analysis", context, false);
      if (!c.options) continue;
      if (std::string why = c.options->training_only(); !why.empty()) {
        context.add(path + ".type", list[i]["type"], "'" + c.type + "' cannot run on a saved checkpoint: " + why +
                                                         ". Fix: list it under probes in the run's spec instead.");
      }
      spec.analyses.push_back(c);
    }
  }
  if (!context.problems.empty()) throw SpecError(context.problems);
  return spec;
}

AnalysisSpec load_analysis_spec(const std::string& path, const std::vector<std::string>& overrides) {
  return load_analysis_spec_text(read_spec_file(path, "analysis spec"), overrides, path,
                                 std::filesystem::path(path).stem().string());
}

}  // namespace phenom
