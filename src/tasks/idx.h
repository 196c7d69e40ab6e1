// IDX files (the MNIST family's format), gzip-compressed or plain, read with zlib. Unsigned-byte
// data only (type 0x08), which is what the image and label files hold.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace phenom {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;  // row-major
};

// Throws BadInput naming the file and what is wrong (missing, truncated, not IDX, wrong type).
IdxArray read_idx(const std::string& path);
// Writes a gzip'd IDX file (tests build small ones).
void write_idx_gz(const std::string& path, const IdxArray& array);

}  // namespace phenom
