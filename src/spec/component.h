// Registries: one small table per folder (its registry.cpp), from which the spec layer finds option
// schemas, `phenom list` prints help and error messages quote "known types". The build functions
// are declared here with forward-declared types so this header stays free of torch.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

struct Spec;
struct BuildContext;  // defined in train/experiment.h (device, dtype, generators)
class Task;
class Model;
class Optimizer;
class Schedule;
class Probe;
class Detector;
class SweepDetector;  // sweep/detector.h
struct RunRequest;     // run/run.h: what `phenom run` was asked

template <class OptionsT, class Built>
struct Entry {
  std::string name;
  std::string help;
  // Plain function pointers: no std::function, so Built may stay incomplete here.
  std::unique_ptr<OptionsT> (*make_options)();
  std::unique_ptr<Built> (*build)(const OptionsT&, BuildContext&);
};

using TaskEntry = Entry<TaskOptions, Task>;
using ModelEntry = Entry<ModelOptions, Model>;
using OptimizerEntry = Entry<OptimizerOptions, Optimizer>;
using ScheduleEntry = Entry<ScheduleOptions, Schedule>;
using ProbeEntry = Entry<ProbeOptions, Probe>;
using DetectorEntry = Entry<OptionsBase, Detector>;
// A protocol has no built object: it runs its rounds (protocols/), each an ordinary run.
struct ProtocolEntry {
  std::string name;
  std::string help;
  std::unique_ptr<OptionsBase> (*make_options)();
  int (*run)(const Spec&, const RunRequest&);  // the exit code
};

// A sweep detector reads a sweep's table, not a run: built from its options alone.
struct SweepDetectorEntry {
  std::string name, help;
  std::unique_ptr<OptionsBase> (*make_options)();
  std::unique_ptr<SweepDetector> (*build)(const OptionsBase&);
};

const std::vector<TaskEntry>& task_registry();
const std::vector<ModelEntry>& model_registry();
const std::vector<OptimizerEntry>& optimizer_registry();
const std::vector<ScheduleEntry>& schedule_registry();
const std::vector<ProbeEntry>& probe_registry();
const std::vector<DetectorEntry>& detector_registry();
const std::vector<ProtocolEntry>& protocol_registry();
const std::vector<SweepDetectorEntry>& sweep_detector_registry();  // sweep/registry.cpp

template <class E>
const E* find_entry(const std::vector<E>& registry, const std::string& name) {
  for (const auto& e : registry) if (e.name == name) return &e;
  return nullptr;
}

template <class E>
std::vector<std::string> entry_names(const std::vector<E>& registry) {
  std::vector<std::string> names;
  for (const auto& e : registry) names.push_back(e.name);
  return names;
}

// Registry helper: a factory for options struct O, returned as its registry's base type.
template <class Base, class O>
std::unique_ptr<Base> make_options() { return std::make_unique<O>(); }

// A configured component: its registered type and its typed options.
template <class OptionsT>
struct Component {
  using OptionsType = OptionsT;
  std::string type;
  std::shared_ptr<OptionsT> options;
  template <class T>
  const T& as() const { return dynamic_cast<const T&>(*options); }
};

}  // namespace phenom
