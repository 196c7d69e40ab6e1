#include "run/console.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace phenom {

std::string format_duration(double seconds) {
  char buffer[32];
  if (seconds < 60) std::snprintf(buffer, sizeof(buffer), "%.0fs", seconds);
  else if (seconds < 3600) std::snprintf(buffer, sizeof(buffer), "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  else std::snprintf(buffer, sizeof(buffer), "%dh%02dm", int(seconds) / 3600, (int(seconds) % 3600) / 60);
  return buffer;
}

Console::Console(bool quiet, const std::string& log_file) : quiet_(quiet), tty_(isatty(STDERR_FILENO)) {
  auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  console->set_level(quiet ? spdlog::level::off : spdlog::level::info);
  std::vector<spdlog::sink_ptr> sinks{console};
  if (!log_file.empty()) sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file));
  logger_ = std::make_shared<spdlog::logger>("phenom", sinks.begin(), sinks.end());
  logger_->set_pattern("[%H:%M:%S] %v");
  logger_->flush_on(spdlog::level::info);
}

Console::~Console() { end_progress(); }

void Console::info(const std::string& message) {
  end_progress();
  logger_->info(message);
}

void Console::warn(const std::string& message) {
  end_progress();
  logger_->warn(message);
}

void Console::progress(int64_t step, int64_t start_step, int64_t total_steps, const MetricRow& row) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(step - start_step) / elapsed : 0.0;
  double eta = rate > 0 ? static_cast<double>(total_steps - step) / rate : 0.0;
  char head[96];
  std::snprintf(head, sizeof(head), "step %lld/%lld  %.1f steps/s  ETA %s", static_cast<long long>(step),
                static_cast<long long>(total_steps), rate, format_duration(eta).c_str());
  std::string text = head;
  // "train loss 0.1 acc 0.9 | test loss 0.2 acc 0.8", with what the row has (no acc for regression).
  for (const char* split : {"train", "test"}) {
    const double* loss = row.find(std::string(split) + "/loss");
    const double* acc = row.find(std::string(split) + "/acc");
    if (!loss && !acc) continue;
    char part[96];
    std::snprintf(part, sizeof(part), "%s%s", std::string(split) == "test" ? " | " : "  ", split);
    text += part;
    if (loss) std::snprintf(part, sizeof(part), " loss %.4g", *loss), text += part;
    if (acc) std::snprintf(part, sizeof(part), " acc %.3f", *acc), text += part;
  }
  if (quiet_) return;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    line_open_ = true;
  } else if (step >= next_plain_step_ || step == total_steps) {
    logger_->info(text);
    next_plain_step_ = step + std::max<int64_t>(1, total_steps / 10);
  }
}

void Console::end_progress() {
  if (line_open_) {
    std::fprintf(stderr, "\n");
    line_open_ = false;
  }
}

}  // namespace phenom
