// init_from: read the section and resolve its source to a run directory and a spec hash.
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/io.h"
#include "core/safetensors_format.h"
#include "core/text.h"
#include "spec/reader.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

// Loading a spec whose source has an init_from of its own recurses; this bounds a cycle.
int depth = 0;

struct DepthGuard {
  DepthGuard() { ++depth; }
  ~DepthGuard() { --depth; }
};

bool is_step(const std::string& s) {
  return s == "init" || (!s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos);
}

// Every element of a mask tensor is 0 or 1 (in its own dtype).
bool zeros_and_ones(const char* data, const SafetensorsEntry& e) {
  const uint64_t size = safetensors_element_size(e.dtype);
  for (uint64_t at = e.begin; at < e.end; at += size) {
    bool ok = false;
    if (e.dtype == "F32") { float v; std::memcpy(&v, data + at, 4); ok = v == 0.0f || v == 1.0f; }
    else if (e.dtype == "F64") { double v; std::memcpy(&v, data + at, 8); ok = v == 0.0 || v == 1.0; }
    else {  // integers and BOOL, little-endian: 0 or 1 in the first byte, zeros after it
      ok = static_cast<unsigned char>(data[at]) <= 1;
      for (uint64_t i = 1; i < size; ++i) ok = ok && data[at + i] == 0;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void read_mask(const YAML::Node& root, Spec& spec, LoadContext& context) {
  if (spec.mask.empty()) return;
  // A run's stored spec records the mask's hash (its identity): it opens after the file moved.
  const YAML::Node recorded = root["mask_hash"];
  const bool stored = recorded && recorded.IsScalar();
  if (!fs::is_regular_file(spec.mask) && stored) {
    spec.mask_hash = recorded.Scalar();
    return;
  }
  if (!fs::is_regular_file(spec.mask)) {
    context.add("mask", root["mask"], "'" + spec.mask + "' does not exist (relative paths are relative to the current "
                                      "directory). Fix: name a safetensors file of 0/1 masks by parameter name.");
    return;
  }
  const std::string bytes = read_file(spec.mask);
  try {
    const SafetensorsLayout layout = check_safetensors(bytes, spec.mask);
    for (const auto& e : layout.entries) {
      if (!zeros_and_ones(bytes.data() + layout.data_start, e)) {
        throw BadInput("'" + spec.mask + "': tensor '" + e.name + "' holds values other than 0 and 1.");
      }
    }
  } catch (const BadInput& e) {
    context.add("mask", root["mask"], std::string(e.what()) + " Fix: name a mask phenom wrote (a lottery protocol's "
                                      "masks/round_N.safetensors) or a safetensors file of 0/1 tensors by parameter name.");
    return;
  }
  spec.mask_hash = hex8(fnv1a64(bytes));
  if (stored && recorded.Scalar() != spec.mask_hash) {
    context.add("mask", root["mask"], "'" + spec.mask + "' has changed since this run was made from it (hash " +
                                      spec.mask_hash + ", recorded " + recorded.Scalar() + "). Fix: restore it, or "
                                      "start the run over with --fresh.");
  }
  spec.mask = fs::absolute(spec.mask).lexically_normal().string();  // the stored spec opens from anywhere
}

void read_init_from(const YAML::Node& root, Spec& spec, LoadContext& context) {
  read_mask(root, spec, context);
  const YAML::Node node = root["init_from"];
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) {
    context.add("init_from", node, "found " + describe_node(node) + "; allowed: a mapping {run: DIR_OR_SPEC, step: "
                                   "init | N}. Fix: e.g. init_from: {run: runs/dense/1a2b3c4d, step: init}.");
    return;
  }
  InitFromOptions& o = spec.init_from;
  Reader reader(node, "init_from", context, {"source_hash"});
  const size_t before = context.problems.size();
  o.visit(reader);
  reader.finish();
  if (context.problems.size() != before) return;
  if (o.run.empty()) {
    context.add("init_from.run", node, "missing: the run (directory or spec file) to take the weights from. Fix: "
                                       "init_from: {run: runs/<name>/<hash8>, step: init}.");
    return;
  }
  if (!is_step(o.step)) {
    context.add("init_from.step", node["step"], "found '" + o.step + "'; allowed: init, or a step number >= 0 "
                                                "that has a checkpoint in the source run. Fix: e.g. step: init.");
    return;
  }
  const fs::path path(o.run);
  const bool directory = fs::is_directory(path);
  if (directory && !fs::exists(path / "spec.yaml")) {
    context.add("init_from.run", node["run"], "'" + o.run + "' is a directory but not a run directory (no spec.yaml). "
                                              "Fix: name a directory that `phenom run` wrote, or a spec file.");
    return;
  }
  if (!directory && !fs::is_regular_file(path)) {
    // A stored spec of a run whose source has since moved still opens: its hash was recorded.
    if (const YAML::Node stored = node["source_hash"]; stored && stored.IsScalar()) {
      o.source_hash = stored.Scalar();
      o.source_dir = o.run;
      return;
    }
    context.add("init_from.run", node["run"], "'" + o.run + "' does not exist (relative paths are relative to the "
                                              "current directory). Fix: name a run directory or a spec file.");
    return;
  }
  if (depth > 8) {
    context.add("init_from.run", node["run"], "init_from sources nest more than 8 deep (a cycle?). Fix: start the "
                                              "chain from a run without init_from.");
    return;
  }
  DepthGuard guard;
  try {
    auto source = std::make_shared<const Spec>(load_spec(directory ? (path / "spec.yaml").string() : o.run));
    // A stored spec records the source it was made from: that hash is the run's identity, even if
    // the source has changed since (init_from_source then refuses to take weights from it).
    const YAML::Node stored = node["source_hash"];
    o.source_hash = stored && stored.IsScalar() ? stored.Scalar() : spec_hash(*source);
    o.source_dir = directory ? fs::absolute(path).lexically_normal().string()
                             : fs::absolute(fs::path("runs") / source->name / o.source_hash).lexically_normal().string();
    if (!directory) o.source_file = fs::absolute(path).lexically_normal().string();
    o.source = std::move(source);
  } catch (const SpecError& e) {
    context.add("init_from.run", node["run"], "the source's spec does not validate: " + e.problems.front().text() +
                                              ". Fix: repair that spec, or name another source.");
  }
}

}  // namespace phenom
