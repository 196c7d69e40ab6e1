// Which kernel runs float32 matrix multiplies on the CPU (DESIGN.md §7, issue #6).
//
// Debian's LibTorch sends fp32 matmuls to the system BLAS. OpenBLAS 0.3.21 does not recognise
// recent Xeons and falls back to its generic (Prescott, SSE3) kernels, ~5x below what the machine
// can do. oneDNN, which LibTorch already loads, has a JIT sgemm chosen from the CPU's feature flags
// (AVX-512 here). When its `dnnl_sgemm` symbol is present and passes a self-check against
// LibTorch's own `mm`, phenom's dense layers (ops/dense.h) use it; otherwise they use LibTorch.
// No torch types here: the kernel is plain row-major sgemm on raw pointers.
#pragma once
#include <cstdint>
#include <string>

#include "core/threads.h"

namespace phenom {

struct GemmBackend {
  bool onednn = false;     // dense float32 CPU layers call dnnl_sgemm
  std::string name;        // "onednn 2.6.3 sgemm" or "torch"
  std::string reason;      // why torch was chosen (empty when onednn)
};

// Chooses once per process (later calls return the first answer). PHENOM_GEMM=torch|onednn|auto
// (default auto) overrides: torch forces LibTorch; onednn fails with BadInput when unavailable.
const GemmBackend& gemm_backend();
// The same, as the thread plan reads it (core/threads.h).
GemmKernel gemm_kernel();

// C[M,N] = alpha op(A) op(B) + beta C, row-major, as dnnl_sgemm. Only valid when
// gemm_backend().onednn; threads follow the OpenMP pool (at::set_num_threads).
void onednn_sgemm(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace phenom
