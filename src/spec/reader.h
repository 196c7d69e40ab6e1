// YAML -> options structs, recording every problem with its key path and file:line:col.
// Internal to src/spec/ (the only place that includes yaml-cpp).
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "spec/options.h"
#include "spec/spec.h"

namespace phenom {

// Shared state of one load: where the text came from, which key paths the command line set,
// and the problems found so far.
struct LoadContext {
  std::string source;
  std::map<std::string, std::string> overridden;  // key path -> "key=value" as typed
  std::vector<Problem> problems;

  std::string location(const std::string& path, const YAML::Node& node) const;
  void add(const std::string& path, const YAML::Node& node, const std::string& message);
};

std::string join_path(const std::string& parent, const std::string& key);

// Rules across sections (task and model, task and train, probes and task), added to `context`.
void check_across_sections(const YAML::Node& root, const Spec& spec, LoadContext& context);
std::string describe_node(const YAML::Node& node);  // "'abc'", "a mapping", "a list"

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

}  // namespace phenom
