// Where an unfinished run resumes: the newest checkpoint that is intact (its seal verifies) and
// whose metric rows are all in metrics.jsonl. A damaged last.pt, or one whose rows were lost,
// falls back to the newest such checkpoints/step_<N>.pt with a warning.
#pragma once
#include <cstdint>
#include <string>

#include "core/metrics.h"

namespace phenom {

class RunDir;
class Console;

struct ResumePoint {
  std::string checkpoint;  // the file to load
  int64_t step = 0;
  MetricHistory history;   // metrics.jsonl up to `step`, exactly the rows the checkpoint vouches for
};

// Any checkpoint file (last.pt or a numbered one): without one a run starts at step 0.
bool has_checkpoints(const RunDir& dir);
// BadInput with the reasons when no checkpoint qualifies.
ResumePoint choose_resume_point(const RunDir& dir, Console& console);

}  // namespace phenom
