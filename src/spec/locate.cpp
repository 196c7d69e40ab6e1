// Problems that only the built components can find (a probe's hook, the metrics the probes
// produce, the run's size), located in the spec's text like the problems of a load.
#include <filesystem>
#include <optional>

#include "core/io.h"
#include "spec/reader.h"

namespace phenom {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == separator) parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

// The node at a dotted key path; mapping keys may themselves hold dots (expect: final.test/acc).
std::optional<YAML::Node> find_node(const YAML::Node& node, const std::vector<std::string>& parts, size_t from) {
  if (from == parts.size()) return node;
  if (node.IsSequence()) {
    const std::string& part = parts[from];
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos || part.size() > 9) return {};
    const size_t index = std::stoul(part);
    if (index >= node.size()) return {};
    return find_node(node[index], parts, from + 1);
  }
  if (!node.IsMap()) return {};
  std::string key;
  for (size_t end = from; end < parts.size(); ++end) {
    key += (end == from ? "" : ".") + parts[end];
    const YAML::Node& map = node;  // const lookups never insert keys
    if (const YAML::Node child = map[key]) {
      if (auto found = find_node(child, parts, end + 1)) return found;
    }
  }
  return {};
}

}  // namespace

SpecError spec_error_at(const Spec& spec, const std::vector<std::string>& overrides,
                        const std::vector<std::pair<std::string, std::string>>& problems) {
  LoadContext context;
  context.source = spec.source;
  YAML::Node root;
  try {
    std::error_code error;
    if (std::filesystem::is_regular_file(spec.source, error)) {
      root = parse_with_overrides(read_file(spec.source), overrides, context);
    }
  } catch (const std::exception&) {
    // the file changed since it was loaded: the problems keep their key paths
  }
  context.problems.clear();
  for (const auto& [key, message] : problems) {
    // A key that was not written is blamed on the nearest one that was.
    std::optional<YAML::Node> found;
    for (std::string path = key; root && !found;) {
      found = find_node(root, split(path, '.'), 0);
      const size_t dot = path.rfind('.');
      if (dot == std::string::npos) break;
      path.resize(dot);
    }
    const YAML::Node node = found ? *found : YAML::Node(YAML::NodeType::Undefined);
    // A part blamed as a whole (the model's size) names what the command line set inside it.
    const auto inside = context.overridden.lower_bound(key + ".");
    if (inside != context.overridden.end() && inside->first.rfind(key + ".", 0) == 0) {
      context.problems.push_back({key, context.location(inside->first, node), message});
      continue;
    }
    context.add(key, node, message);
  }
  return SpecError(context.problems);
}

}  // namespace phenom
