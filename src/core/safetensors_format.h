// The safetensors container checked without LibTorch: an 8-byte little-endian header length, a
// JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the raw bytes.
// Files are parsed, never trusted: every check uses arithmetic that cannot overflow.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace phenom {

struct SafetensorsEntry {
  std::string name, dtype;  // dtype: one of F32 F64 I64 I32 BOOL U8
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // in the data, which starts at SafetensorsLayout::data_start
};

struct SafetensorsLayout {
  std::vector<SafetensorsEntry> entries;  // in data order
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;
};

// The metadata key phenom seals its files with: the CRC-32 of the data bytes, 8 hex digits.
inline constexpr const char* kSafetensorsCrcKey = "crc32";

// Bytes per element of a dtype phenom reads (0 for any other).
uint64_t safetensors_element_size(const std::string& dtype);
std::string safetensors_crc(const char* data, size_t size);

// The layout of a file's bytes. BadInput, naming `path`, unless the header is exactly a JSON
// object (padding spaces allowed; no NUL, no name twice) of entries whose dtype x shape fills
// their data_offsets, the ranges tile the data with nothing left over, every BOOL is 0 or 1, and,
// in a file phenom sealed (crc32 in its metadata), the CRC matches and the data starts 8-aligned.
// (Tensors are copied out, so a tensor's own alignment is not required: other writers differ.)
SafetensorsLayout check_safetensors(const std::string& bytes, const std::string& path);

}  // namespace phenom
