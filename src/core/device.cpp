#include "core/device.h"

#include <torch/torch.h>

#include "core/error.h"

namespace phenom {

std::string check_device_syntax(const std::string& text) {
  if (text == "auto" || text == "cpu" || text == "cuda") return "";
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5 &&
      text.find_first_not_of("0123456789", 5) == std::string::npos) {
    return "";
  }
  return "expected auto, cpu, cuda or cuda:N";
}

std::string device_unavailable_reason(const std::string& text) {
  if (text == "auto" || text == "cpu") return "";
  if (!torch::cuda::is_available()) {
    return "CUDA was requested but this LibTorch build sees no CUDA device (" +
           std::string(torch::cuda::device_count() == 0 ? "no GPU or CPU-only LibTorch" : "") +
           "). Fix: use device: cpu (or auto), or build phenom against a CUDA LibTorch with "
           "-DCMAKE_PREFIX_PATH=/path/to/libtorch on a machine with a GPU.";
  }
  if (text.size() > 5) {
    int64_t index = std::stoll(text.substr(5));
    if (index >= static_cast<int64_t>(torch::cuda::device_count())) {
      return "cuda:" + std::to_string(index) + " does not exist: this machine has " +
             std::to_string(torch::cuda::device_count()) + " CUDA device(s).";
    }
  }
  return "";
}

c10::Device resolve_device(const std::string& text) {
  if (std::string syntax = check_device_syntax(text); !syntax.empty()) {
    throw BadInput("device '" + text + "': " + syntax);
  }
  if (std::string reason = device_unavailable_reason(text); !reason.empty()) throw BadInput(reason);
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text == "auto") {
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  return torch::Device(text);
}

}  // namespace phenom
