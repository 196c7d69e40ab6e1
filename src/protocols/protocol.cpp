#include "protocols/protocol.h"

#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/io.h"
#include "core/text.h"
#include "run/plot.h"
#include "spec/component.h"
#include "spec/spec.h"

namespace fs = std::filesystem;

namespace phenom {

int run_spec(const RunRequest& request) {
  const Spec spec = load_spec(request.spec_path, request.overrides);  // SpecError -> exit 2
  if (spec.protocol.type.empty()) return run_experiment(request);
  return find_entry(protocol_registry(), spec.protocol.type)->run(spec, request);  // the reader checked the type
}

std::string protocol_dir(const Spec& spec, const RunRequest& request) {
  return request.out_dir.empty() ? "runs/" + spec.name + "/" + spec_hash(spec) : request.out_dir;
}

Spec keeping_rewind_point(const Spec& spec, int64_t rewind) {
  const std::string step = std::to_string(rewind);
  if (rewind > spec.train.steps) {
    throw BadInput("protocol.rewind: step " + step + " is after the end of training (train.steps " +
                   std::to_string(spec.train.steps) + "). Fix: rewind to an earlier step, or init.");
  }
  Spec out = spec;
  if (rewind > 0 && !out.train.checkpoint_due(rewind)) {
    if (!out.train.checkpoint_every.unset()) {
      throw BadInput("protocol.rewind: the run rewound to keeps no checkpoint at step " + step +
                     " under train.checkpoint_every " + out.train.checkpoint_every.text() + ". Fix: choose a cadence "
                     "that includes it, or leave checkpoint_every unset.");
    }
    out.train.checkpoint_every = Cadence{rewind, 0};
  }
  return out;
}

int ProtocolRuns::run(const std::string& name, const std::string& spec_text) const {
  const std::string spec_file = path("specs/" + name + ".yaml");
  fs::create_directories(path("specs"));
  if (!fs::exists(spec_file) || read_file(spec_file) != spec_text) write_file_atomic(spec_file, spec_text);
  if (!request.quiet) std::cout << label << ": " << name << "\n" << std::flush;
  RunRequest r{spec_file, {}, path(name), false, request.threads, true, false};
  return run_experiment(r);
}

void plot_protocol(const std::string& dir, const RunRequest& request) {
  if (!request.plot || !plotting_unavailable_reason().empty()) return;
  try {
    plot_run(dir);
    if (!request.quiet) std::cout << "figures: " << dir << "/plots/\n";
  } catch (const std::exception& e) {
    std::cerr << "warning: " << e.what() << "\n";
  }
}

}  // namespace phenom
