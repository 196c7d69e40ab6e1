#include "train/checkpoint.h"

#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "train/experiment.h"

namespace phenom {

void save_checkpoint(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash) {
  torch::serialize::OutputArchive archive;
  archive.write("step", torch::tensor(step, torch::kLong));
  archive.write("spec_hash", torch::tensor(static_cast<int64_t>(std::stoull(spec_hash, nullptr, 16)), torch::kLong));
  for (const auto& p : ex.model->named_parameters()) archive.write("model." + p.key(), p.value().detach().cpu());
  for (const auto& b : ex.model->named_buffers()) archive.write("buffer." + b.key(), b.value().cpu());
  ex.optimizer->save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

CheckpointInfo load_checkpoint(const std::string& path, Experiment& ex, const std::string& expected_hash) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw RunFailed("cannot read checkpoint '" + path + "' (" + e.msg() + "). Fix: delete it to resume from an "
                    "earlier step_<N>.pt, or start over with --fresh.");
  }
  torch::Tensor step, hash;
  archive.read("step", step);
  archive.read("spec_hash", hash);
  CheckpointInfo info{step.item<int64_t>(), expected_hash};
  const auto expected = static_cast<int64_t>(std::stoull(expected_hash, nullptr, 16));
  if (hash.item<int64_t>() != expected) {
    throw BadInput("checkpoint '" + path + "' belongs to a different spec. Fix: use --fresh to start over, or "
                   "another --out directory.");
  }
  torch::NoGradGuard no_grad;
  for (auto& p : ex.model->named_parameters()) {
    torch::Tensor t;
    archive.read("model." + p.key(), t);
    p.value().copy_(t);
  }
  for (auto& b : ex.model->named_buffers()) {
    torch::Tensor t;
    archive.read("buffer." + b.key(), t);
    b.value().copy_(t);
  }
  ex.optimizer->load(archive);
  return info;
}

}  // namespace phenom
