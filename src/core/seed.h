// One spec seed derives independent streams (init, data, batch order) by SplitMix64 mixing, so
// changing how one stream is used never shifts another.
#pragma once
#include <cstdint>

namespace phenom {

enum class Stream : uint64_t { kInit = 1, kData = 2, kBatch = 3, kProbe = 4 };

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Seed for stream `stream`, sub-index `index` (e.g. the epoch for batch order).
inline uint64_t derive_seed(int64_t seed, Stream stream, uint64_t index = 0) {
  uint64_t s = splitmix64(static_cast<uint64_t>(seed) ^ splitmix64(static_cast<uint64_t>(stream)));
  return splitmix64(s ^ splitmix64(index + 0x632BE59BD9B4E019ULL)) >> 1;  // keep it positive
}

}  // namespace phenom
