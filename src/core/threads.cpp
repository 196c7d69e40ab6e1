#include "core/threads.h"


#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

namespace phenom {

constexpr double kSmallModelWork = 2e7;

int machine_cores() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string cpu_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU", flags;
  while (std::getline(cpuinfo, line) && (model == "unknown CPU" || flags.empty())) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name") model = value;
    if (key == "flags") flags = " " + value + " ";
  }
  const char* isa = flags.find(" avx512f ") != std::string::npos ? "avx512f"
                    : flags.find(" avx2 ") != std::string::npos  ? "avx2"
                                                                 : "sse";
  return model + " (" + isa + ")";
}

std::string ThreadPlan::describe() const {
  return "torch " + std::to_string(torch_threads) + ", openblas " +
         (blas_controlled ? std::to_string(blas_threads) : std::string("not found")) + ", gemm " + gemm;
}

ThreadPlan configure_threads(int threads, Dtype dtype, double work_per_step, const GemmKernel& gemm) {
  ThreadPlan plan;
  int budget = threads > 0 ? threads : machine_cores();
  if (budget > machine_cores()) {
    // More threads than cores only makes the pools fight over them (1000 threads on 2 cores).
    std::cerr << "warning: " << budget << " threads asked for, but this machine has " << machine_cores()
              << " cores: using " << machine_cores() << ".\n";
    budget = machine_cores();
  }
  plan.gemm = gemm.name;
  if (gemm.onednn && dtype == Dtype::kFloat32) {
    // Dense layers run on oneDNN, which uses LibTorch's OpenMP pool: that pool gets the budget and
    // OpenBLAS (left with small attention bmm's and float64 work) one thread, so no second pool
    // spins on the cores. A tiny model gets one thread: its matmuls are too small to pay for the
    // fork/join. Measured on modular-addition MLPs, 2 cores, steps/s with 1 vs 2 threads
    // (work = trainable parameters x examples per step), since phenom's own loops run on the
    // OpenMP pool too (#6, second pass): p 23 w 64 (1.2M): 6030/4121 vs 4998/3410; p 37 w 64
    // (4.9M): 2866/2933/2076/1940 vs 1765/2610/2048/1832; p 47 w 96 (15M): 1143/1133 vs
    // 1011/1051; p 53 w 100 (22M): 692/658 vs 726/655 (even); p 59 w 128 (39M): 484/471 vs
    // 526/577; grokking MLP (320M): 2 threads. The threshold sits at the even point, 20M (it was
    // 2.5M while those loops were serial).
    plan.torch_threads = work_per_step < kSmallModelWork ? 1 : budget;
    plan.blas_threads = 1;
  } else {
    // Matmuls (OpenBLAS) get the whole budget; LibTorch's own intra-op pool gets one thread. The
    // two pools run one after the other, and idle pool threads spin on cores the other pool needs.
    // Measured on configs/grokking/mlp.yaml, 2 cores (steps/s): torch 1 + blas 2: 14.4;
    // torch 2 + blas 1: 11.3; torch 2 + blas 2: 9.7; torch 1 + blas 1: 8.2.
    plan.torch_threads = 1;
    plan.blas_threads = budget;
  }
  at::set_num_threads(plan.torch_threads);
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(plan.blas_threads);
    plan.blas_controlled = true;
  }
  return plan;
}

}  // namespace phenom
