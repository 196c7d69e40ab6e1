#include "core/build_context.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/seed.h"

namespace phenom {
namespace {
torch::Generator cpu_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }
}  // namespace

BuildContext::BuildContext(const Spec& s, torch::Device d)
    : spec(s),
      device(d),
      dtype(s.dtype == Dtype::kFloat64 ? torch::kFloat64 : torch::kFloat32),
      init(cpu_generator(derive_seed(s.seed, Stream::kInit))),
      data(cpu_generator(derive_seed(s.seed, Stream::kData))) {}

}  // namespace phenom
