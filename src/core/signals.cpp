#include "core/signals.h"

#include <atomic>
#include <csignal>

namespace phenom {
namespace {
std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int signal) { g_signal.store(signal); }
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaction(s, &action, nullptr);
}

bool stop_requested() { return g_signal.load() != 0; }
int stop_signal() { return g_signal.load(); }
void request_stop(int signal) { g_signal.store(signal); }

}  // namespace phenom
