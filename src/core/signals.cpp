#include "core/signals.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace phenom {
namespace {
std::atomic<int> g_signal{0};
std::atomic<bool> g_armed{false};
extern "C" void on_stop_signal(int signal) { g_signal.store(signal); }

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGHUP}) sigaddset(&set, s);
  return set;
}
}  // namespace

void block_stop_signals() {
  // A stop signal handled on a thread that was inside oneDNN's JIT GEMM kernels corrupted the heap
  // now and then (glibc "corrupted size vs. prev_size", 1 in ~8 interrupted runs; never with
  // PHENOM_GEMM=torch). So the main thread and every thread it starts (OpenMP workers) block the
  // stop signals, and one thread waits for them: before a training loop is armed to poll the flag
  // a signal ends the process as its default action would; afterwards it only sets the flag.
  sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed pipe on stdout (`phenom run ... | head`) must not end a run: writes to it fail
  // quietly and training goes on to its checkpoints and summary.
  std::signal(SIGPIPE, SIG_IGN);
  std::thread([set] {
    int signal = 0;
    while (sigwait(&set, &signal) == 0) {
      if (!g_armed.load()) {  // the default action: terminate by this signal
        std::signal(signal, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, signal);
        pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
        raise(signal);
        _exit(128 + signal);
      }
      g_signal.store(signal);
    }
  }).detach();
}

void install_stop_handlers() {
  // Threads that libraries started before main() (OpenBLAS's) do not block the signals; the
  // handler covers a signal the kernel hands to one of them.
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGHUP}) sigaction(s, &action, nullptr);
  g_armed.store(true);
}

bool stop_requested() { return g_signal.load() != 0; }
int stop_signal() { return g_signal.load(); }
void request_stop(int signal) { g_signal.store(signal); }

}  // namespace phenom
