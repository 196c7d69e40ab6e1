// Writes and reads the safetensors format (Hugging Face's: an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the raw
// little-endian bytes), the format SAELens and TransformerLens users load with
// `safetensors.torch.load_file` or numpy.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace phenom {

// Atomic (temporary + rename). Tensors are written contiguous, on the CPU, in their dtype
// (float32, float64, int64, int32, bool, uint8). Throws BadInput for another dtype.
void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});
// The file's bytes (what write_safetensors writes).
std::string encode_safetensors(const std::map<std::string, torch::Tensor>& tensors,
                               const std::map<std::string, std::string>& metadata = {});
// Every file carries `crc32` (of its data bytes) in its metadata, beside the caller's keys.
// Reads every tensor, after check_safetensors (core/safetensors_format.h) found the file sound.
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path);
// The same check and decoding of a file's bytes (`path` names it in errors).
std::map<std::string, torch::Tensor> decode_safetensors(const std::string& bytes, const std::string& path);

}  // namespace phenom
