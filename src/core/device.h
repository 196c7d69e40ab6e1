// The one place a device is chosen. Everything else receives the torch::Device from here.
#pragma once
#include <string>

namespace c10 { struct Device; }

namespace phenom {

// Checks a `device:` string without touching CUDA: "" when fine, else what is wrong.
std::string check_device_syntax(const std::string& text);

// "auto" -> cuda:0 when CUDA is available, else cpu. Throws BadInput when CUDA is asked for and
// absent (or the index is out of range).
c10::Device resolve_device(const std::string& text);

// Whether the requested device exists on this machine: "" when fine, else the reason.
std::string device_unavailable_reason(const std::string& text);

}  // namespace phenom
