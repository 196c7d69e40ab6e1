#include "sweep/grid.h"

#include <algorithm>

#include "core/error.h"

namespace phenom {
namespace {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}

// Splits on commas that are not inside brackets: "1,[0.9,0.98],3" -> 3 values.
std::vector<std::string> split_top_level(const std::string& text) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string current;
  for (char c : text) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(trim(current));
  return parts;
}

std::vector<std::string> expand_range(const std::string& key, const std::string& text) {
  // range(a, b) or range(a, b, step): integers a, a+step, ... < b (Python's range).
  std::string inner = text.substr(6, text.size() - 7);
  std::vector<std::string> parts = split_top_level(inner);
  std::vector<long long> numbers;
  try {
    for (const auto& p : parts) {
      size_t used = 0;
      numbers.push_back(std::stoll(p, &used));
      if (used != p.size()) throw std::invalid_argument(p);
    }
  } catch (const std::exception&) {
    numbers.clear();
  }
  if (numbers.size() < 2 || numbers.size() > 3 || (numbers.size() == 3 && numbers[2] == 0)) {
    throw BadInput("command line '" + key + "=" + text + "': expected range(start, stop) or range(start, stop, step) "
                   "with integers and a non-zero step, e.g. seed=range(0,5).");
  }
  const long long step = numbers.size() == 3 ? numbers[2] : 1;
  const __int128 span = static_cast<__int128>(numbers[1]) - numbers[0];
  const __int128 count = (span > 0) == (step > 0) && span != 0 ? (span + step - (step > 0 ? 1 : -1)) / step : 0;
  if (count > kMaxSweepJobs) {
    throw BadInput("command line '" + key + "=" + text + "': the range has " + std::to_string(static_cast<unsigned long long>(count)) +
                   " values; a sweep has at most " + std::to_string(kMaxSweepJobs) + " jobs. Fix: a shorter range.");
  }
  std::vector<std::string> values;
  for (long long v = numbers[0]; step > 0 ? v < numbers[1] : v > numbers[1]; v += step) values.push_back(std::to_string(v));
  if (values.empty()) throw BadInput("command line '" + key + "=" + text + "': the range is empty.");
  return values;
}

}  // namespace

SweepPlan plan_sweep(const std::vector<std::pair<std::string, std::vector<std::string>>>& spec_axes,
                     const std::vector<std::string>& arguments) {
  SweepPlan plan;
  for (const auto& [key, values] : spec_axes) plan.axes.push_back({key, values});
  auto drop_axis = [&](const std::string& key) {
    plan.axes.erase(std::remove_if(plan.axes.begin(), plan.axes.end(), [&](const SweepAxis& a) { return a.key == key; }),
                    plan.axes.end());
  };
  for (const auto& argument : arguments) {
    if (argument.rfind("~", 0) == 0 && argument.find('=') == std::string::npos) {  // ~key: a removal, one value
      plan.fixed.push_back(argument);
      continue;
    }
    size_t eq = argument.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw BadInput("'" + argument + "' is not an override: use key.path=value, key=a,b,c or key=range(a,b).");
    }
    std::string key = argument.substr(0, eq), value = argument.substr(eq + 1);
    std::vector<std::string> values;
    if (value.rfind("range(", 0) == 0 && !value.empty() && value.back() == ')') {
      values = expand_range(key, value);
    } else {
      values = split_top_level(value);
    }
    if (values.size() == 1) {  // a fixed value, also replacing a spec axis of the same key
      drop_axis(key);
      plan.fixed.push_back(key + "=" + values[0]);
      continue;
    }
    auto existing = std::find_if(plan.axes.begin(), plan.axes.end(), [&](const SweepAxis& a) { return a.key == key; });
    if (existing != plan.axes.end()) existing->values = values; else plan.axes.push_back({key, values});
  }
  // Its size first (it is refused before anything is expanded), then the Cartesian product, the
  // last axis varying fastest.
  uint64_t size = 1;
  for (const auto& axis : plan.axes) {
    size = std::min<uint64_t>(size * axis.values.size(), kMaxSweepJobs + 1);  // both factors <= 10^5: no overflow
  }
  if (size > kMaxSweepJobs) {
    std::string shape;
    for (const auto& axis : plan.axes) shape += (shape.empty() ? "" : " x ") + std::to_string(axis.values.size()) + " " + axis.key;
    throw BadInput("the sweep grid (" + shape + ") has more than " + std::to_string(kMaxSweepJobs) +
                   " jobs. Fix: sweep fewer values, or split it into several sweeps.");
  }
  plan.jobs = {plan.fixed};
  for (const auto& axis : plan.axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& job : plan.jobs) {
      for (const auto& v : axis.values) {
        auto extended = job;
        extended.push_back(axis.key + "=" + v);
        next.push_back(std::move(extended));
      }
    }
    plan.jobs = std::move(next);
  }
  return plan;
}

}  // namespace phenom
