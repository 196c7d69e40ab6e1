#include "core/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io.h"
#include "core/safetensors_format.h"

namespace phenom {
namespace {

const std::vector<std::pair<torch::ScalarType, std::string>>& dtype_names() {
  static const std::vector<std::pair<torch::ScalarType, std::string>> names = {
      {torch::kFloat, "F32"}, {torch::kDouble, "F64"}, {torch::kLong, "I64"},
      {torch::kInt, "I32"},   {torch::kBool, "BOOL"},  {torch::kByte, "U8"}};
  return names;
}

}  // namespace

std::string encode_safetensors(const std::map<std::string, torch::Tensor>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  std::string data;
  std::vector<std::pair<std::string, nlohmann::ordered_json>> entries;
  for (const auto& [name, tensor] : tensors) {  // std::map: sorted names, as the format's writers do
    const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    std::string dtype;
    for (const auto& [type, word] : dtype_names()) if (t.scalar_type() == type) dtype = word;
    if (dtype.empty()) throw BadInput("safetensors: tensor '" + name + "' has an unsupported dtype.");
    const int64_t begin = static_cast<int64_t>(data.size());
    data.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    entries.emplace_back(name, nlohmann::ordered_json{{"dtype", dtype}, {"shape", t.sizes().vec()},
                                                      {"data_offsets", {begin, static_cast<int64_t>(data.size())}}});
  }
  std::map<std::string, std::string> sealed = metadata;
  sealed[kSafetensorsCrcKey] = safetensors_crc(data.data(), data.size());
  nlohmann::ordered_json header = {{"__metadata__", sealed}};
  for (auto& [name, entry] : entries) header[name] = std::move(entry);
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string out(8, '\0');
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);  // little-endian
  return out + text + data;
}

void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

std::map<std::string, torch::Tensor> decode_safetensors(const std::string& bytes, const std::string& path) {
  const SafetensorsLayout layout = check_safetensors(bytes, path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& e : layout.entries) {
    torch::ScalarType type = torch::kFloat;
    for (const auto& [t, word] : dtype_names()) if (e.dtype == word) type = t;
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(type));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), bytes.data() + layout.data_start + e.begin, e.end - e.begin);
    out[e.name] = t;
  }
  return out;
}

std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  return decode_safetensors(read_file(path), path);
}

}  // namespace phenom
