#include "tasks/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.h"

namespace phenom {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { if (f) gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw BadInput("data file '" + path + "' is not a valid IDX file: " + what +
                 ". Fix: reinstall it (apt-get install --reinstall dataset-fashion-mnist) or point the task's "
                 "data_dir at a good copy.");
}

void read_exact(gzFile file, void* buffer, size_t bytes, const std::string& path, const char* what) {
  auto* out = static_cast<unsigned char*>(buffer);
  while (bytes > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes, 1u << 30));
    int got = gzread(file, out, chunk);
    if (got <= 0) corrupt(path, std::string("it ends inside the ") + what);
    out += got;
    bytes -= static_cast<size_t>(got);
  }
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw BadInput("data file '" + path + "' does not exist. Fix: apt-get install dataset-fashion-mnist (it puts "
                   "the files under /usr/share/datasets/fashion-mnist), or set the task's data_dir (or the "
                   "PHENOM_FASHION_MNIST environment variable) to the folder that holds them.");
  }
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw BadInput("cannot open data file '" + path + "' for reading. Fix: check its permissions.");
  unsigned char header[4];
  read_exact(file.get(), header, 4, path, "header");
  if (header[0] != 0 || header[1] != 0) corrupt(path, "its magic number does not start with two zero bytes");
  if (header[2] != 0x08) corrupt(path, "its element type is not unsigned byte (0x08)");
  const int ndims = header[3];
  if (ndims < 1 || ndims > 4) corrupt(path, "it declares " + std::to_string(ndims) + " dimensions");
  IdxArray array;
  int64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    unsigned char b[4];
    read_exact(file.get(), b, 4, path, "header");
    const int64_t d = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
    if (d <= 0 || d > (int64_t{1} << 28)) corrupt(path, "dimension " + std::to_string(i) + " is " + std::to_string(d));
    array.dims.push_back(d);
    if (count > (int64_t{1} << 36) / d) corrupt(path, "its dimensions declare more than 64 GiB of data");
    count *= d;
  }
  // Read in chunks, growing the buffer as data arrives: a header that declares more than the file
  // holds is reported as a short file, not attempted as one huge allocation.
  constexpr size_t kChunk = size_t{1} << 26;
  for (size_t have = 0; have < static_cast<size_t>(count);) {
    const size_t next = std::min(static_cast<size_t>(count), have + kChunk);
    array.data.resize(next);
    read_exact(file.get(), array.data.data() + have, next - have, path, "data");
    have = next;
  }
  unsigned char extra;
  if (gzread(file.get(), &extra, 1) != 0) corrupt(path, "it has bytes after the declared data");
  return array;
}

void write_idx_gz(const std::string& path, const IdxArray& array) {
  GzFile file(gzopen(path.c_str(), "wb"));
  if (!file) throw BadInput("cannot write '" + path + "'");
  std::vector<unsigned char> header = {0, 0, 0x08, static_cast<unsigned char>(array.dims.size())};
  for (int64_t d : array.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<unsigned char>((d >> shift) & 0xff));
  }
  gzwrite(file.get(), header.data(), static_cast<unsigned>(header.size()));
  if (!array.data.empty()) gzwrite(file.get(), array.data.data(), static_cast<unsigned>(array.data.size()));
}

}  // namespace phenom
