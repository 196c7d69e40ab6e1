// `expect:` assertions against summary.json values.
#include <cmath>

#include "detectors/detector.h"
#include "spec/spec.h"

namespace phenom {
namespace {

bool compare(const Json& actual, const std::string& op, const std::string& value) {
  if (actual.is_boolean()) {
    bool expected = value == "true" || value == "yes" || value == "on";
    bool equal = actual.get<bool>() == expected;
    return op == "!=" ? !equal : (op == "==" && equal);
  }
  if (actual.is_number()) {
    char* end = nullptr;
    double expected = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) return false;
    double a = actual.get<double>();
    if (op == ">=") return a >= expected;
    if (op == "<=") return a <= expected;
    if (op == ">") return a > expected;
    if (op == "<") return a < expected;
    if (op == "==") return a == expected;
    return a != expected;
  }
  if (actual.is_string()) {
    bool equal = actual.get<std::string>() == value;
    return op == "!=" ? !equal : (op == "==" && equal);
  }
  return false;  // null: the value was never produced (e.g. a step that never came)
}

}  // namespace

const Json* summary_value(const Json& summary, const std::string& path) {
  size_t dot = path.find('.');
  std::string head = path.substr(0, dot);
  if (!summary.contains(head)) return nullptr;
  const Json& section = summary[head];
  if (dot == std::string::npos) return &section;
  std::string rest = path.substr(dot + 1);
  if (!section.is_object()) return nullptr;
  if (section.contains(rest)) return &section[rest];  // a key with dots of its own, e.g. final.test/acc
  return summary_value(section, rest);                // nested: imp.ticket_minus_dense.round_7
}

std::vector<ExpectationResult> check_expectations(const std::vector<Expectation>& expect, const Json& summary) {
  std::vector<ExpectationResult> results;
  for (const auto& e : expect) {
    ExpectationResult r{e.key, e.text(), nullptr, false};
    if (const Json* actual = summary_value(summary, e.key)) {
      r.actual = *actual;
      r.passed = compare(*actual, e.op, e.value);
    }
    results.push_back(r);
  }
  return results;
}

std::vector<ExpectationResult> record_expectations(const std::vector<Expectation>& expect, Json& summary) {
  auto results = check_expectations(expect, summary);
  bool met = true;
  Json list = Json::array();
  for (const auto& e : results) {
    met &= e.passed;
    list.push_back({{"key", e.key}, {"expected", e.expected}, {"actual", e.actual}, {"passed", e.passed}});
  }
  summary["expect"] = list;
  summary["expectations_met"] = met;
  return results;
}

}  // namespace phenom
