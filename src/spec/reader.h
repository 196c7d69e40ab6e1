// YAML -> options structs, recording every problem with its key path and file:line:col.
// Internal to src/spec/ (the only place that includes yaml-cpp).
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/text.h"
#include "spec/component.h"
#include "spec/options.h"
#include "spec/spec.h"

namespace phenom {

// Shared state of one load: where the text came from, which key paths the command line set,
// and the problems found so far.
struct LoadContext {
  std::string source;
  std::map<std::string, std::string> overridden;  // key path -> "key=value" as typed
  std::map<std::string, std::string> origin;      // key path -> the base spec it came from (defaults:)
  std::vector<Problem> problems;
  int bases_loaded = 0;  // files read through defaults: (compose.cpp bounds them)

  std::string location(const std::string& path, const YAML::Node& node) const;
  void add(const std::string& path, const YAML::Node& node, const std::string& message);
};

std::string join_path(const std::string& parent, const std::string& key);

// Rules across sections (task and model, task and train, probes and task), added to `context`.
void check_across_sections(const YAML::Node& root, const Spec& spec, LoadContext& context);
std::string describe_node(const YAML::Node& node);
// One YAML document (yaml_checks.cpp), with a problem for each duplicate key, merge key, tag
// or further document that yaml-cpp would silently misread; YAML::ParserException when malformed.
YAML::Node parse_one_document(const std::string& yaml, LoadContext& context);
// Merges the files named by a top-level `defaults:` under `root` (spec/compose.cpp), recording
// in `context.origin` which file each merged key came from.
void compose_defaults(YAML::Node& root, LoadContext& context);
// Parses YAML text (SpecError at the malformed position) and applies the overrides.
YAML::Node parse_with_overrides(const std::string& yaml, const std::vector<std::string>& overrides, LoadContext& context);

// Applies one `key.path=value` override to the YAML tree (problems into `context`).
void apply_override(YAML::Node& root, const std::string& text, LoadContext& context);

// The init_from: section, with its source run resolved (spec/init_from.cpp).
void read_init_from(const YAML::Node& root, Spec& spec, LoadContext& context);  // "'abc'", "a mapping", "a list"

// Reads the fields an options struct declares from one YAML mapping. finish() reports the keys
// nobody declared, with "did you mean".
class Reader : public Visitor {
 public:
  Reader(YAML::Node map, std::string path, LoadContext& context, std::set<std::string> handled = {});
  void field(const char* name, int64_t& value, const char* help, const Check& check) override;
  void field(const char* name, double& value, const char* help, const Check& check) override;
  void field(const char* name, bool& value, const char* help, const Check& check) override;
  void field(const char* name, std::string& value, const char* help, const Check& check) override;
  void field(const char* name, std::vector<double>& value, const char* help, const Check& check) override;
  void field(const char* name, std::vector<std::string>& value, const char* help, const Check& check) override;
  void field(const char* name, CountOrFull& value, const char* help, const Check& check) override;
  void field(const char* name, Cadence& value, const char* help, const Check& check) override;
  void finish();

 private:
  std::optional<YAML::Node> lookup(const char* name);  // records the key as declared; nullopt when absent
  template <class T>
  void read_number(const char* name, T& value, const Check& check, const char* what);
  void check_number(const std::string& key, const YAML::Node& node, double value, const Check& check);

  YAML::Node map_;
  std::string path_;
  LoadContext& context_;
  std::set<std::string> handled_;
  std::vector<std::string> declared_;
};

// A `{type: ..., options}` mapping read through `registry` (problems into `context`); a probe
// has a cadence `every` unless it is read as an analysis (with_cadence false).
template <class OptionsT, class EntryT>
Component<OptionsT> read_component(const YAML::Node& node, const std::string& path,
                                   const std::vector<EntryT>& registry, const char* kind,
                                   LoadContext& context, bool with_cadence = true) {
  Component<OptionsT> component;
  std::vector<std::string> names = entry_names(registry);
  if (!node.IsMap()) {
    context.add(path, node, "found " + describe_node(node) + "; allowed: a mapping with `type: <" + kind +
                                ">` (known " + kind + "s: " + join(names) + ").");
    return component;
  }
  YAML::Node type = node["type"];
  if (!type) {
    context.add(path + ".type", node, std::string("missing key 'type'; allowed: ") + join(names) +
                                          ". Fix: add `type: " + names.front() + "` (see `phenom list`).");
    return component;
  }
  const EntryT* entry = type.IsScalar() ? find_entry(registry, type.Scalar()) : nullptr;
  if (!entry) {
    std::string near = type.IsScalar() ? closest_match(type.Scalar(), names) : "";
    context.add(path + ".type", type, "unknown " + std::string(kind) + " type " + describe_node(type) +
                                          (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                          " Known " + kind + "s: " + join(names) + ".");
    return component;
  }
  component.type = entry->name;
  component.options = entry->make_options();
  Reader reader(node, path, context, {"type"});
  if constexpr (std::is_same_v<OptionsT, ProbeOptions>) {
    if (with_cadence) reader.field("every", component.options->every, "", NonNegative());
  }
  const size_t problems_before = context.problems.size();
  component.options->visit(reader);
  reader.finish();
  if (context.problems.size() != problems_before) return component;  // cross-field rules need valid fields
  std::vector<std::pair<std::string, std::string>> problems;
  component.options->check(problems);
  for (auto& [key, message] : problems) context.add(join_path(path, key), node[key], message);
  return component;
}

}  // namespace phenom
