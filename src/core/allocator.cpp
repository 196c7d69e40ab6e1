#include "core/allocator.h"

#include <malloc.h>

namespace phenom {

// glibc maps each block above its threshold (at most 32 MiB) with mmap and unmaps it on free, so a
// step that allocates the same large activations again faults in every page again: a tensor of
// 60 MB costs 15,000 page faults per allocation, and on a virtual machine a fault is expensive.
// With the thresholds at 1 GiB, freed blocks stay in the heap and the next step reuses them. The
// arithmetic is untouched; the price is that a run's resident memory stays at its peak.
void keep_freed_memory_for_reuse() {
  constexpr int kOneGiB = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kOneGiB);
  mallopt(M_TRIM_THRESHOLD, kOneGiB);
}

}  // namespace phenom
