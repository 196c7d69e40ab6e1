#include "ops/gemm.h"

#include <ATen/CPUGeneratorImpl.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <cstdlib>
#include <stdexcept>

#include "core/error.h"

namespace phenom {
namespace {

// oneDNN's C API (dnnl.h), declared here so the build needs no oneDNN headers: the symbol is
// looked up at run time in the libdnnl LibTorch already loaded (absent in some LibTorch builds).
using SgemmFn = int (*)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                        int64_t, float, float*, int64_t);
struct DnnlVersion { int major, minor, patch; const char* hash; unsigned cpu_runtime, gpu_runtime; };
using VersionFn = const DnnlVersion* (*)();

SgemmFn sgemm_symbol = nullptr;

// The kernel must agree with LibTorch's mm on shapes that exercise every transpose, ragged edges
// and a leading dimension larger than the row; a JIT kernel that miscomputes on this CPU is refused.
std::string self_check() {
  torch::NoGradGuard no_grad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(12345);
  for (char ta : {'N', 'T'}) {
    for (char tb : {'N', 'T'}) {
      const int64_t M = 67, N = 45, K = 130;
      auto a = torch::randn(ta == 'N' ? std::vector<int64_t>{M, K + 3} : std::vector<int64_t>{K, M + 3}, generator);
      auto b = torch::randn(tb == 'N' ? std::vector<int64_t>{K, N} : std::vector<int64_t>{N, K}, generator);
      auto c = torch::zeros({M, N});
      auto a_used = ta == 'N' ? a.slice(1, 0, K) : a.slice(1, 0, M);
      sgemm_symbol(ta, tb, M, N, K, 1.0f, a.data_ptr<float>(), a.size(1), b.data_ptr<float>(), b.size(1), 0.0f,
                   c.data_ptr<float>(), N);
      auto expected = torch::mm(ta == 'N' ? a_used : a_used.t(), tb == 'N' ? b : b.t());
      const double error = (c - expected).abs().max().item<double>();
      const double scale = expected.abs().max().item<double>();
      if (!(error <= 1e-5 * scale)) {
        return std::string("dnnl_sgemm disagreed with torch::mm (op ") + ta + tb + ", max error " +
               std::to_string(error) + " of " + std::to_string(scale) + ")";
      }
    }
  }
  return "";
}

GemmBackend choose() {
  GemmBackend backend;
  backend.name = "torch";
  const char* env = std::getenv("PHENOM_GEMM");
  const std::string mode = env ? env : "auto";
  if (mode != "auto" && mode != "torch" && mode != "onednn") {
    throw BadInput("PHENOM_GEMM='" + mode + "' is not a GEMM backend. Allowed: auto, torch, onednn. Fix: unset it "
                   "or set one of those.");
  }
  if (mode == "torch") {
    backend.reason = "PHENOM_GEMM=torch";
    return backend;
  }
  sgemm_symbol = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "dnnl_sgemm"));
  if (!sgemm_symbol) {
    backend.reason = "this LibTorch exports no dnnl_sgemm";
  } else if (std::string failure = self_check(); !failure.empty()) {
    backend.reason = failure;
    sgemm_symbol = nullptr;
  } else {
    backend.onednn = true;
    backend.name = "onednn sgemm";
    if (auto version = reinterpret_cast<VersionFn>(dlsym(RTLD_DEFAULT, "dnnl_version"))) {
      const DnnlVersion* v = version();
      backend.name = "onednn " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                     std::to_string(v->patch) + " sgemm";
    }
  }
  if (mode == "onednn" && !backend.onednn) {
    throw BadInput("PHENOM_GEMM=onednn, but oneDNN's sgemm cannot be used: " + backend.reason +
                   ". Fix: unset PHENOM_GEMM (auto falls back to LibTorch's matmul).");
  }
  return backend;
}

}  // namespace

const GemmBackend& gemm_backend() {
  static const GemmBackend backend = choose();
  return backend;
}

void onednn_sgemm(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const int status = sgemm_symbol(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (status != 0) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(status));
}

GemmKernel gemm_kernel() { return {gemm_backend().onednn, gemm_backend().name}; }

}  // namespace phenom
