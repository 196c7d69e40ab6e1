#include "run/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace phenom {
namespace {

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}

std::string count(double n) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", n);
  return text;
}

// A cgroup limit in bytes, or 0 when the file is absent or says "max" (no limit).
double read_limit(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word == "max" || word.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stod(word);
}

// This process's cgroup v2 directory (from /proc/self/cgroup's "0::/path" line).
std::string cgroup_dir() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  }
  return "/sys/fs/cgroup";
}

}  // namespace

MemoryEstimate estimate_memory(const Spec& spec) {
  MemoryEstimate m;
  if (!spec.task.options || !spec.model.options) return m;
  const double bytes = spec.dtype == Dtype::kFloat64 ? 8 : 4;
  const InputSpec inputs = spec.task.options->inputs();
  const DataSize data = spec.task.options->data_size();
  const ModelSize model = spec.model.options->size(inputs);
  const bool gradients = spec.train.fit != Fit::kMinNorm;
  m.parameter_count = model.parameters;
  m.parameters = model.parameters * bytes * (gradients ? 2 : 1);
  const double batch = spec.train.batch_size.full() ? data.train : static_cast<double>(spec.train.batch_size.n);
  m.activations = batch * model.activations_per_example * bytes;
  const double value_bytes = inputs.kind == InputSpec::Kind::kTokens ? 8 : bytes;  // token ids are int64
  m.data = data.held * inputs.values_per_example() * value_bytes;
  return m;
}

double memory_limit_bytes(std::string* what) {
  const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  double limit = physical;
  if (what) *what = "physical memory";
  for (const std::string& path : {cgroup_dir() + "/memory.max", std::string("/sys/fs/cgroup/memory/memory.limit_in_bytes")}) {
    const double cgroup = read_limit(path);
    if (cgroup > 0 && cgroup < limit) {
      limit = cgroup;
      if (what) *what = "memory limit of this process's cgroup (" + path + ")";
    }
  }
  return limit;
}

void check_memory(const Spec& spec, const std::vector<std::string>& overrides, double limit_bytes,
                  const std::string& limit_what) {
  const MemoryEstimate m = estimate_memory(spec);
  if (m.total() <= limit_bytes) return;
  // Blame the part that cannot fit alone (the model before the data), else the largest; the
  // message gives all three.
  std::string key = "model", fix = "a smaller model (width, depth, d_model)";
  const bool model_fits = m.parameters <= limit_bytes, data_fits = m.data <= limit_bytes;
  if (model_fits && !data_fits) {
    key = "task";
    fix = "a smaller task (fewer examples, a smaller modulus or dimension)";
  } else if (model_fits && m.activations >= m.parameters && m.activations >= m.data) {
    key = "train.batch_size";
    fix = "a smaller train.batch_size";
  } else if (model_fits && m.data >= m.parameters) {
    key = "task";
    fix = "a smaller task (fewer examples, a smaller modulus or dimension)";
  }
  const std::string message =
      "this run needs at least " + gib(m.total()) + " of memory: parameters " + gib(m.parameters) + " (" +
      count(m.parameter_count) + " values: weights" + (spec.train.fit != Fit::kMinNorm ? " and gradients" : "") +
      "), activations of one step " + gib(m.activations) + ", data " + gib(m.data) + "; the " + limit_what +
      " is " + gib(limit_bytes) + ". Fix: " + fix + ".";
  throw spec_error_at(spec, overrides, {{key, message}});
}

void check_memory(const Spec& spec, const std::vector<std::string>& overrides) {
  std::string what;
  const double limit = memory_limit_bytes(&what);
  check_memory(spec, overrides, limit, what);
}

}  // namespace phenom
