#include "core/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io.h"
#include "core/text.h"

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
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> data;
  int64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {  // std::map: sorted names, as the format's writers do
    const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    std::string dtype;
    for (const auto& [type, word] : dtype_names()) if (t.scalar_type() == type) dtype = word;
    if (dtype.empty()) throw BadInput("safetensors: tensor '" + name + "' has an unsupported dtype.");
    const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
    header[name] = {{"dtype", dtype}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string out(8, '\0');
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);  // little-endian
  out += text;
  for (const auto& t : data) out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  const auto bad = [&](const std::string& why) { return BadInput("'" + path + "' is not a safetensors file (" + why + ")."); };
  if (bytes.size() < 8) throw bad("shorter than its header length");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (8 + length > bytes.size()) throw bad("header length beyond the end");
  const auto header = nlohmann::json::parse(bytes.substr(8, length), nullptr, false);
  if (header.is_discarded() || !header.is_object()) throw bad("the header is not JSON");
  std::map<std::string, torch::Tensor> out;
  const size_t start = 8 + length;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    torch::ScalarType type = torch::kFloat;
    bool known = false;
    for (const auto& [t, word] : dtype_names()) if (entry.value("dtype", "") == word) { type = t; known = true; }
    if (!known) throw bad("tensor '" + name + "' has dtype " + entry.value("dtype", "?"));
    const std::vector<int64_t> shape = entry.at("shape").get<std::vector<int64_t>>();
    const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
    if (offsets.size() != 2 || start + offsets[1] > bytes.size() ||
        offsets[1] - offsets[0] != static_cast<uint64_t>(t.numel() * t.element_size())) {
      throw bad("tensor '" + name + "' has inconsistent offsets");
    }
    std::memcpy(t.data_ptr(), bytes.data() + start + offsets[0], offsets[1] - offsets[0]);
    out[name] = t;
  }
  return out;
}

}  // namespace phenom
