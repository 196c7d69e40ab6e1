#include "core/threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <thread>

namespace phenom {

int machine_cores() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string ThreadPlan::describe() const {
  return "torch " + std::to_string(torch_threads) + ", openblas " +
         (blas_controlled ? std::to_string(blas_threads) : std::string("not found"));
}

ThreadPlan configure_threads(int threads) {
  ThreadPlan plan;
  int budget = threads > 0 ? threads : machine_cores();
  // Element-wise kernels and BLAS calls run one after the other, never at the same time, so both
  // pools may use the whole budget; what hurts is idle pool threads spinning on cores the other
  // pool needs. Both pools therefore get the same size, and torch's inter-op pool stays at 1.
  plan.torch_threads = budget;
  plan.blas_threads = budget;
  at::set_num_threads(plan.torch_threads);
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(plan.blas_threads);
    plan.blas_controlled = true;
  }
  return plan;
}

}  // namespace phenom
