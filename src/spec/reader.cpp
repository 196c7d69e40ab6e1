#include "spec/reader.h"

#include <cmath>
#include <type_traits>

#include "core/text.h"

namespace phenom {

std::string Check::describe() const {
  std::string out;
  if (!choices.empty()) return "one of: " + join(choices);
  if (length >= 0) out = "a list of " + std::to_string(length) + " numbers";
  auto bound = [](double v) {
    return v == std::floor(v) && std::abs(v) < 1e15 ? std::to_string(static_cast<int64_t>(v)) : format_double(v);
  };
  std::string range;
  if (min && max) {
    range = std::string("in ") + (min_exclusive ? "(" : "[") + bound(*min) + ", " + bound(*max) +
            (max_exclusive ? ")" : "]");
  } else if (min) {
    range = std::string(min_exclusive ? "> " : ">= ") + bound(*min);
  } else if (max) {
    range = std::string(max_exclusive ? "< " : "<= ") + bound(*max);
  }
  if (!range.empty()) out += (out.empty() ? "" : ", each ") + range;
  return out;
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string describe_node(const YAML::Node& node) {
  if (!node || node.IsNull()) return "nothing (null)";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

std::string LoadContext::location(const std::string& path, const YAML::Node& node) const {
  // The longest overridden prefix of this path wins: that value came from the command line.
  for (std::string p = path;;) {
    if (auto it = overridden.find(p); it != overridden.end()) return "command line '" + it->second + "'";
    size_t dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p = p.substr(0, dot);
  }
  std::string file = source;
  for (std::string p = path; !origin.empty();) {
    if (auto it = origin.find(p); it != origin.end()) {
      file = it->second;
      break;
    }
    const size_t dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p.resize(dot);
  }
  if (node && node.Mark().line >= 0) {
    return file + ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
  }
  return file;
}

void LoadContext::add(const std::string& path, const YAML::Node& node, const std::string& message) {
  problems.push_back({path, location(path, node), message});
}

Reader::Reader(YAML::Node map, std::string path, LoadContext& context, std::set<std::string> handled)
    : map_(std::move(map)), path_(std::move(path)), context_(context), handled_(std::move(handled)) {}

std::optional<YAML::Node> Reader::lookup(const char* name) {
  declared_.push_back(name);
  if (!map_ || !map_.IsMap()) return std::nullopt;
  for (auto it = map_.begin(); it != map_.end(); ++it) {
    if (it->first.Scalar() == name) return it->second;
  }
  return std::nullopt;
}

void Reader::check_number(const std::string& key, const YAML::Node& node, double value, const Check& check) {
  bool ok = std::isfinite(value);
  if (check.min) ok = ok && (check.min_exclusive ? value > *check.min : value >= *check.min);
  if (check.max) ok = ok && (check.max_exclusive ? value < *check.max : value <= *check.max);
  if (!ok) {
    context_.add(key, node, "found " + describe_node(node) + "; allowed: a number " + check.describe() +
                                ". Fix: set " + key + " to a value " + check.describe() + ".");
  }
}

template <class T>
void Reader::read_number(const char* name, T& value, const Check& check, const char* what) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  std::string key = join_path(path_, name);
  T parsed{};
  bool read = node.IsScalar() && YAML::convert<T>::decode(node, parsed);
  if constexpr (std::is_integral_v<T>) {  // 1e3 and 1000.0 are 1000: an exact integer written as a number
    double number = 0;
    if (!read && node.IsScalar() && YAML::convert<double>::decode(node, number) && std::isfinite(number) &&
        number == std::floor(number) && std::fabs(number) < 9007199254740992.0) {
      parsed = static_cast<T>(number);
      read = true;
    }
  }
  if (!read) {
    context_.add(key, node, "found " + describe_node(node) + "; allowed: " + what +
                                (check.describe().empty() ? "" : " " + check.describe()) + ".");
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (parsed == 0) parsed = 0;  // -0.0 is 0.0: one value, one spec hash
  }
  value = parsed;
  check_number(key, node, static_cast<double>(parsed), check);
}

void Reader::field(const char* name, int64_t& value, const char*, const Check& check) {
  read_number(name, value, check, "an integer");
}

void Reader::field(const char* name, double& value, const char*, const Check& check) {
  read_number(name, value, check, "a number");
}

void Reader::field(const char* name, bool& value, const char*, const Check&) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  bool parsed = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, parsed)) {
    context_.add(join_path(path_, name), node, "found " + describe_node(node) + "; allowed: true or false.");
    return;
  }
  value = parsed;
}

void Reader::field(const char* name, std::string& value, const char*, const Check& check) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  std::string key = join_path(path_, name);
  if (!node.IsScalar()) {
    context_.add(key, node, "found " + describe_node(node) + "; allowed: " +
                                (check.choices.empty() ? "a word" : check.describe()) + ".");
    return;
  }
  const std::string& text = node.Scalar();
  if (!check.choices.empty() &&
      std::find(check.choices.begin(), check.choices.end(), text) == check.choices.end()) {
    std::string near = closest_match(text, check.choices);
    context_.add(key, node, "found '" + text + "'; allowed: " + check.describe() + "." +
                                (near.empty() ? "" : " did you mean '" + near + "'?"));
    return;
  }
  value = text;
}

void Reader::field(const char* name, std::vector<std::string>& value, const char*, const Check&) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  std::vector<std::string> parsed;
  bool ok = node.IsSequence();
  for (size_t i = 0; ok && i < node.size(); ++i) {
    ok = node[i].IsScalar() && !node[i].Scalar().empty();
    if (ok) parsed.push_back(node[i].Scalar());
  }
  if (!ok) {
    context_.add(join_path(path_, name), node, "found " + describe_node(node) + "; allowed: a list of names (e.g. "
                                               "[layers.0.weight, readout.weight]).");
    return;
  }
  value = parsed;
}

void Reader::field(const char* name, std::vector<double>& value, const char*, const Check& check) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  std::string key = join_path(path_, name);
  std::vector<double> parsed;
  bool ok = node.IsSequence();
  if (ok) {
    for (const auto& item : node) {
      double x = 0;
      if (!item.IsScalar() || !YAML::convert<double>::decode(item, x)) ok = false;
      parsed.push_back(x == 0 ? 0.0 : x);  // -0.0 is 0.0
    }
  }
  if (!ok || (check.length >= 0 && static_cast<int64_t>(parsed.size()) != check.length)) {
    context_.add(key, node, "found " + describe_node(node) + "; allowed: " + check.describe() +
                                " (e.g. [0.9, 0.98]).");
    return;
  }
  value = parsed;
  for (size_t i = 0; i < parsed.size(); ++i) {
    Check element = check;
    element.length = -1;
    check_number(key + "." + std::to_string(i), node[i], parsed[i], element);
  }
}

void Reader::field(const char* name, CountOrFull& value, const char*, const Check& check) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  std::string key = join_path(path_, name);
  int64_t parsed = 0;
  const std::string word = value.word;
  if (node.IsScalar() && node.Scalar() == word) {
    value.n = 0;
    return;
  }
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, parsed) || parsed < 1) {
    context_.add(key, node, "found " + describe_node(node) + "; allowed: `" + word + "` or an integer " +
                                check.describe() + ". Fix: e.g. " + key + ": " + word + ", or " + key + ": 128.");
    return;
  }
  value.n = parsed;
}

void Reader::field(const char* name, Cadence& value, const char*, const Check& check) {
  auto found = lookup(name);
  if (!found) return;
  const YAML::Node& node = *found;
  const std::string key = join_path(path_, name);
  const std::string allowed = "allowed: an integer " + check.describe() +
                              " (every N steps) or a mapping {per_decade: K} with K >= 1 log-spaced steps per factor "
                              "of 10, optionally with every: N >= 1 as well. Fix: e.g. " + key + ": 10, or " + key +
                              ": {per_decade: 20}.";
  int64_t parsed = 0;
  if (node.IsScalar()) {
    if (!YAML::convert<int64_t>::decode(node, parsed)) {
      context_.add(key, node, "found " + describe_node(node) + "; " + allowed);
      return;
    }
    if (check.min && parsed < *check.min) {
      context_.add(key, node, "found '" + node.Scalar() + "'; " + allowed);
      return;
    }
    value = Cadence{parsed, 0};
    return;
  }
  if (!node.IsMap()) {
    context_.add(key, node, "found " + describe_node(node) + "; " + allowed);
    return;
  }
  Cadence read;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string part = it->first.Scalar();
    int64_t* target = part == "per_decade" ? &read.per_decade : part == "every" ? &read.every : nullptr;
    if (!target) {
      context_.add(key + "." + part, it->first, "unknown key '" + part + "'; allowed here: per_decade, every.");
      return;
    }
    if (!it->second.IsScalar() || !YAML::convert<int64_t>::decode(it->second, *target) || *target < 1) {
      context_.add(key + "." + part, it->second, "found " + describe_node(it->second) + "; " + allowed);
      return;
    }
  }
  if (read.per_decade == 0) {
    context_.add(key, node, "the mapping has no per_decade; " + allowed);
    return;
  }
  value = read;
}

void Reader::finish() {
  if (!map_ || !map_.IsMap()) return;
  std::vector<std::string> known(declared_.begin(), declared_.end());
  known.insert(known.end(), handled_.begin(), handled_.end());
  for (auto it = map_.begin(); it != map_.end(); ++it) {
    const std::string& key = it->first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string near = closest_match(key, known);
    context_.add(join_path(path_, key), it->first,
                 "unknown key '" + key + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                     " Allowed here: " + join(known) + ".");
  }
}

}  // namespace phenom
