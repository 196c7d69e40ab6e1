// Figures: `phenom plot DIR` and the plot at the end of a run call scripts/plot.py with Debian's
// matplotlib (python3-matplotlib).
#pragma once
#include <string>

namespace phenom {

// "" when figures can be made, else what to install.
std::string plotting_unavailable_reason();
// Runs the plot script on a run directory; returns its output (the files written). Throws
// BadInput when the directory has no metrics or plotting is unavailable.
std::string plot_run(const std::string& run_dir);

}  // namespace phenom
