// What the user sees: log lines (console and log.txt, via spdlog) and the progress line.
// On a TTY the progress line redraws in place; otherwise a plain line every 10% of the run.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "core/metrics.h"

namespace spdlog { class logger; }

namespace phenom {

class Console {
 public:
  Console(bool quiet, const std::string& log_file);
  ~Console();
  void info(const std::string& message);
  void warn(const std::string& message);
  // Called at each logged step.
  void progress(int64_t step, int64_t start_step, int64_t total_steps, const MetricRow& row);
  void end_progress();

 private:
  std::shared_ptr<spdlog::logger> logger_;
  bool quiet_, tty_;
  bool line_open_ = false;
  int64_t next_plain_step_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string format_duration(double seconds);

}  // namespace phenom
