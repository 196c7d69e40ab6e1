// The test binary's entry point: the allocator set as phenom's main() sets it, then GoogleTest.
#include <gtest/gtest.h>

#include "core/allocator.h"

int main(int argc, char** argv) {
  phenom::keep_freed_memory_for_reuse();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
