// phenom owns both thread pools: LibTorch's intra-op pool and OpenBLAS's own (DESIGN.md §7).
#pragma once
#include <string>

#include "spec/words.h"

namespace phenom {

struct ThreadPlan {
  int torch_threads = 1;
  int blas_threads = 1;
  bool blas_controlled = false;  // false when no openblas_set_num_threads symbol was found
  std::string gemm;              // the float32 dense-layer kernel (ops/gemm.h)
  std::string describe() const;
};

int machine_cores();

// The CPU model (from /proc/cpuinfo) and the widest vector ISA it offers ("avx512f", "avx2", "sse"),
// e.g. "AMD EPYC (avx2)". oneDNN picks its float32 kernels from the ISA, so a run resumed on
// another kind of CPU may differ in the last bits (recorded in meta.json as `cpu`).
std::string cpu_description();

// Applies a budget of `threads` cores (<= 0: all cores) to both pools. Which pool gets the budget
// depends on where the run's matmuls go: oneDNN (float32 with the oneDNN GEMM) uses LibTorch's
// OpenMP pool, otherwise OpenBLAS's pool does the heavy work. `work_per_step` (trainable parameters
// x examples per step, a proxy for multiply-adds) keeps tiny models on one thread.
// `gemm` is the float32 kernel ops/gemm.h chose (gemm_kernel()): core knows only these two facts.
struct GemmKernel {
  bool onednn = false;  // dense float32 layers run on oneDNN's sgemm (LibTorch's OpenMP pool)
  std::string name;
};
ThreadPlan configure_threads(int threads, Dtype dtype, double work_per_step, const GemmKernel& gemm);

}  // namespace phenom
