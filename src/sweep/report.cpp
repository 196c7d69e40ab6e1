#include "sweep/report.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

std::string scalar(const Json& v) {
  if (v.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.4g", v.get<double>());
    return text;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

bool is_scalar(const Json& v) { return !v.is_object() && !v.is_array(); }

std::string table(const Json& rows, const std::string& pad) {
  std::vector<std::string> columns;
  for (const auto& row : rows) {
    for (const auto& [k, v] : row.items()) {
      if (is_scalar(v) && std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    }
  }
  std::vector<std::vector<std::string>> cells = {columns};
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (const auto& c : columns) line.push_back(row.contains(c) ? scalar(row[c]) : "");
    cells.push_back(line);
  }
  std::vector<size_t> width(columns.size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::string out;
  for (const auto& line : cells) {
    out += pad;
    for (size_t i = 0; i < line.size(); ++i) out += std::string(width[i] - line[i].size() + (i ? 3 : 0), ' ') + line[i];
    out += "\n";
  }
  return out;
}

}  // namespace

std::vector<std::string> cadence_warnings(const std::vector<std::pair<std::string, Json>>& rows) {
  std::vector<std::string> groups;
  for (const auto& [group, summary] : rows) {
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
  }
  std::vector<std::string> warnings;
  for (const auto& group : groups) {
    std::vector<const Json*> members;
    for (const auto& [g, summary] : rows) if (g == group) members.push_back(&summary);
    if (members.size() < 2) continue;
    for (const auto& [section, values] : members.front()->items()) {
      if (!values.is_object() || section == "final") continue;
      for (const auto& [key, value] : values.items()) {
        if (key.rfind("step", 0) != 0 || !value.is_number() || value.get<double>() <= 0) continue;
        const bool same = std::all_of(members.begin(), members.end(), [&](const Json* m) {
          const Json& v = m->value(section, Json::object()).value(key, Json());
          return v.is_number() && v.get<double>() == value.get<double>();
        });
        if (!same) continue;
        warnings.push_back(section + "." + key + " is " + scalar(value) + " in all " + std::to_string(members.size()) +
                           " seeds" + (group.empty() ? "" : " of " + group) + ": the seeds' spread is below the "
                           "measurement cadence, so it is not measured. Fix: refine the cadence, e.g. "
                           "train.eval_every={per_decade: 40} (or every: N for a linear grid).");
      }
    }
  }
  return warnings;
}

std::string readable_result(const std::string& name, const Json& result, int indent) {
  const std::string pad(indent, ' ');
  if (!result.is_object()) return pad + name + ": " + (is_scalar(result) ? scalar(result) : result.dump()) + "\n";
  std::string head, rest;
  for (const auto& [k, v] : result.items()) {
    if (is_scalar(v)) {
      head += (head.empty() ? "" : ", ") + k + " " + scalar(v);
    } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& x) { return is_scalar(x); })) {
      std::string list;
      size_t shown = 0;
      for (const auto& x : v) {
        if (shown++ == 12) { list += ", ... (" + std::to_string(v.size()) + " in all)"; break; }
        list += (list.empty() ? "" : ", ") + scalar(x);
      }
      rest += pad + "  " + k + ": [" + list + "]\n";
    } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_object(); })) {
      rest += pad + "  " + k + ":\n" + table(v, pad + "    ");
    } else {
      rest += readable_result(k, v, indent + 2);
    }
  }
  return pad + name + ": " + head + "\n" + rest;
}

}  // namespace phenom
