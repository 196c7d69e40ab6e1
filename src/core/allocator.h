// How the C library's allocator serves tensors (see docs/architecture.md, "Memory").
#pragma once

namespace phenom {

// Large blocks come from the process's heap and stay there when freed, instead of being mapped
// fresh and returned to the kernel on every allocation. Call first thing in main().
void keep_freed_memory_for_reuse();

}  // namespace phenom
