// phenom owns both thread pools: LibTorch's intra-op pool and OpenBLAS's own (DESIGN.md §7).
#pragma once
#include <string>

namespace phenom {

struct ThreadPlan {
  int torch_threads = 1;
  int blas_threads = 1;
  bool blas_controlled = false;  // false when no openblas_set_num_threads symbol was found
  std::string describe() const;
};

int machine_cores();

// Applies a budget of `threads` cores (<= 0: all cores) to both pools, never exceeding it in total.
ThreadPlan configure_threads(int threads);

}  // namespace phenom
