// Command-line overrides applied to the parsed YAML tree (key=value, +key, ++key, ~key), and
// their record in overrides.yaml.
#include <string>
#include <vector>

#include "core/text.h"
#include "spec/reader.h"

namespace phenom {
namespace {

// Keys whose remainder is one key containing dots (expect: final.test/acc, sweep: optimizer.lr).
bool is_flat_map(const std::string& section) { return section == "expect" || section == "sweep"; }

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
    if (is_flat_map(parts.front()) && parts.size() == 1) {
      parts.push_back(key.substr(start));
      break;
    }
  }
  return parts;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// The sections whose value is a list: `+probes={...}` appends an item to them.
bool is_list_section(const std::string& key) {
  return key == "probes" || key == "detectors" || key == "sweep_detectors";
}

}  // namespace

// Sets root[a][b]... = value, creating mappings as needed; list items by index (the index one past
// the end appends). Hydra's forms: +key=value adds a key the spec does not set (or an item to a
// list), ++key=value sets or adds (as key=value does), ~key removes one (~probes.1: a list item).
void apply_override(YAML::Node& root, const std::string& text, LoadContext& context) {
  enum class Mode { kSet, kAdd, kRemove } mode = Mode::kSet;
  std::string body = text;
  if (body.rfind("++", 0) == 0) {
    body = body.substr(2);
  } else if (body.rfind("+", 0) == 0) {
    mode = Mode::kAdd;
    body = body.substr(1);
  } else if (body.rfind("~", 0) == 0) {
    mode = Mode::kRemove;
    body = body.substr(1);
  }
  const auto problem = [&](const std::string& key, const std::string& message) {
    context.problems.push_back({key, "command line '" + text + "'", message});
  };
  size_t eq = body.find('=');
  if (mode == Mode::kRemove && eq == std::string::npos) eq = body.size();
  if (eq == std::string::npos || eq == 0) {
    problem(text, "an override must look like key.path=value (e.g. optimizer.lr=3e-3), +key=value (add), "
                  "++key=value (set or add) or ~key (remove).");
    return;
  }
  std::string key = body.substr(0, eq), raw = eq < body.size() ? body.substr(eq + 1) : "";
  YAML::Node value;
  try {
    value = YAML::Load(raw);
  } catch (const YAML::Exception&) {
    value = YAML::Node(raw);  // not YAML (e.g. ">= 0.9"): the text itself is the value
  }
  if (raw.empty()) value = YAML::Node(std::string());
  std::vector<std::string> parts = split_path(key);
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (node.IsSequence()) {
      if (!is_index(part) || std::stoul(part) >= node.size()) {
        problem(key, "'" + part + "' is not an index of the list (it has " + std::to_string(node.size()) + " items).");
        return;
      }
      node.reset(node[std::stoul(part)]);
      continue;
    }
    if (!node.IsMap() && !node.IsNull()) {
      problem(key, "'" + join_path("", part) + "' is inside a value that is not a mapping.");
      return;
    }
    YAML::Node child = node[part];
    if (!child || child.IsNull()) {
      if (mode == Mode::kRemove) {
        problem(key, "the spec does not set '" + key + "': there is nothing to remove.");
        return;
      }
      node[part] = YAML::Node(YAML::NodeType::Map);
      child = node[part];
    }
    node.reset(child);
  }
  const std::string& last = parts.back();
  const std::string parent = key.size() > last.size() ? key.substr(0, key.size() - last.size() - 1) : "";
  if (!node.IsMap() && !node.IsNull() && !node.IsSequence()) {
    problem(key, "'" + parent + "' is " + describe_node(node) + ", not a mapping: it has no key '" + last +
                     "'. Fix: set the whole value (" + parent + "=...) or check the key path.");
    return;
  }
  if (node.IsSequence()) {
    const size_t size = node.size();
    if (!is_index(last) || std::stoul(last) > size || (mode == Mode::kRemove && std::stoul(last) == size)) {
      problem(key, "'" + last + "' is not an index of the list (it has " + std::to_string(size) + " items" +
                       (mode == Mode::kRemove ? "" : "; index " + std::to_string(size) + " appends one") + ").");
      return;
    }
    const size_t at = std::stoul(last);
    if (mode == Mode::kRemove) {
      YAML::Node kept(YAML::NodeType::Sequence);
      for (size_t i = 0; i < size; ++i) if (i != at) kept.push_back(node[i]);
      node = kept;
    } else if (at == size) {
      node.push_back(value);
    } else if (mode == Mode::kAdd) {
      problem(key, "item " + last + " of '" + parent + "' exists. Fix: " + key + "=... replaces it; +" + parent +
                       "={...} appends an item.");
      return;
    } else {
      node[at] = value;
    }
  } else {
    const YAML::Node& map = node;  // const lookups never insert keys
    const bool present = map[last] && !map[last].IsNull();
    if (mode == Mode::kRemove) {
      if (!present) {
        problem(key, "the spec does not set '" + key + "': there is nothing to remove.");
        return;
      }
      node.remove(last);
    } else if (mode == Mode::kAdd && present && map[last].IsSequence()) {
      YAML::Node list = node[last];
      list.push_back(value);
    } else if (mode == Mode::kAdd && present) {
      problem(key, "'" + key + "' is already set in the spec (to " + describe_node(map[last]) + "). Fix: " + key +
                       "=... or ++" + key + "=... replaces it; +key adds only keys the spec does not set.");
      return;
    } else if (mode == Mode::kAdd && parts.size() == 1 && is_list_section(last) && value.IsMap()) {
      YAML::Node list(YAML::NodeType::Sequence);
      list.push_back(value);
      node[last] = list;
    } else {
      node[last] = value;
    }
  }
  context.overridden[key] = text;
}

std::string overrides_text(const std::vector<std::string>& overrides) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& o : overrides) {
    const size_t eq = o.find('=');
    out << YAML::Key << o.substr(0, eq) << YAML::Value;
    if (eq == std::string::npos) out << YAML::Null;  // ~key: removed
    else out << o.substr(eq + 1);
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace phenom
