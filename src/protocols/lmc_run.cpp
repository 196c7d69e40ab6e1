// The linear_mode_connectivity protocol on its own: the two copies start from the spec's
// initialisation (or its init_from and mask: e.g. an imp round's rewind point and mask), or from
// step N of a parent run; summary.json holds the path and the instability.
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/io.h"
#include "core/text.h"
#include "detectors/detector.h"
#include "protocols/lmc.h"
#include "protocols/protocol.h"
#include "spec/spec.h"

namespace fs = std::filesystem;

namespace phenom {

using Json = nlohmann::ordered_json;

int run_linear_mode_connectivity(const Spec& spec, const RunRequest& request) {
  const LmcOptions& o = spec.protocol.as<LmcOptions>();
  const int64_t rewind = o.rewind_step();
  const Spec parent = keeping_rewind_point(spec, rewind);  // checked before anything is written
  const ProtocolRuns runs{protocol_dir(spec, request), request, "lmc"};
  fs::create_directories(runs.dir);
  write_file_atomic(runs.path("protocol.yaml"), resolve_text(spec));
  // Where the copies start: the spec's own init_from (its resolved source) or its initialisation.
  LmcStart start{"", "", spec.mask};
  if (spec.init_from.set()) {
    start.run = spec.init_from.source_file.empty() ? spec.init_from.source_dir : spec.init_from.source_file;
    start.step = spec.init_from.step;
  }
  if (rewind > 0) {  // a parent trained with the spec's own batch order keeps the rewind point
    const int code = runs.run("parent", derived_run_text(parent, start.run, start.step, spec.mask));
    if (code != 0) return code;
    start.run = fs::absolute(runs.path("parent")).lexically_normal().string();
    start.step = std::to_string(rewind);
  }
  Json path;
  const int code = run_lmc_copies(runs, "copy", spec, start, o.alphas, o.order_seeds, path);
  if (code != 0) return code;
  Json summary = {{"status", "completed"}, {"protocol", "linear_mode_connectivity"}, {"rewind", o.rewind}};
  summary["linear_mode_connectivity"] = path;
  const auto expectations = record_expectations(spec.expect, summary);
  write_file_atomic(runs.path("summary.json"), summary.dump(2) + "\n");
  write_file_atomic(runs.path("DONE"), "\n");
  if (!request.quiet) {
    for (const auto& [set, value] : path["instability"].items()) {
      std::cout << "lmc: " << set << " instability " << format_double(value.get<double>()) << " (endpoint errors "
                << format_double(path["endpoint_error"][set][0].get<double>()) << ", "
                << format_double(path["endpoint_error"][set][1].get<double>()) << ")\n";
    }
    for (const auto& e : expectations) {
      std::cout << (e.passed ? "  ok    " : "  FAIL  ") << e.key << " " << e.expected << " (got " << e.actual.dump() << ")\n";
    }
    std::cout << "protocol directory: " << runs.dir << "\n";
  }
  plot_protocol(runs.dir, request);
  return summary["expectations_met"].get<bool>() ? 0 : 1;
}

}  // namespace phenom
