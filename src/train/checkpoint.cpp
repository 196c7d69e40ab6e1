#include "train/checkpoint.h"

#include <map>
#include <sstream>

#include "core/error.h"
#include "core/safetensors.h"
#include "core/text.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "train/experiment.h"

namespace phenom {
namespace {

void open_archive(torch::serialize::InputArchive& archive, const std::string& path) {
  try {
    archive.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw RunFailed("cannot read checkpoint '" + path + "' (" + e.msg() + "). Fix: delete it to resume from an "
                    "earlier step_<N>.pt, or start over with --fresh.");
  }
}

CheckpointInfo read_weights(torch::serialize::InputArchive& archive, const std::string& path, Experiment& ex,
                            const std::string& expected_hash) {
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
  return info;
}

// Parameters and buffers by name ("buffer." before a buffer's name keeps the two apart).
std::map<std::string, torch::Tensor> named_tensors(const Experiment& ex) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : ex.model->named_parameters()) out[p.key()] = p.value();
  for (const auto& b : ex.model->named_buffers()) out["buffer." + b.key()] = b.value();
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash) {
  torch::serialize::OutputArchive archive;
  archive.write("step", torch::tensor(step, torch::kLong));
  archive.write("spec_hash", torch::tensor(static_cast<int64_t>(std::stoull(spec_hash, nullptr, 16)), torch::kLong));
  for (const auto& p : ex.model->named_parameters()) archive.write("model." + p.key(), p.value().detach().cpu());
  for (const auto& b : ex.model->named_buffers()) archive.write("buffer." + b.key(), b.value().cpu());
  ex.optimizer->save(archive);
  for (const auto& c : ex.callbacks) {
    for (const auto& [key, tensor] : c->state()) archive.write("callback." + c->name() + "." + key, tensor);
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

void save_weights(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : ex.model->named_parameters()) tensors[p.key()] = p.value().detach().cpu().contiguous();
  for (const auto& b : ex.model->named_buffers()) tensors[b.key()] = b.value().detach().cpu().contiguous();
  write_safetensors(path, tensors, {{"step", std::to_string(step)}, {"spec_hash", spec_hash}, {"format", "phenom weights"}});
}

CheckpointInfo load_checkpoint(const std::string& path, Experiment& ex, const std::string& expected_hash) {
  torch::serialize::InputArchive archive;
  open_archive(archive, path);
  CheckpointInfo info = read_weights(archive, path, ex, expected_hash);
  ex.optimizer->load(archive);
  for (auto& c : ex.callbacks) {
    std::map<std::string, torch::Tensor> saved;
    for (const auto& key : c->state_keys()) {
      torch::Tensor t;
      if (!archive.try_read("callback." + c->name() + "." + key, t)) {
        throw RunFailed("checkpoint '" + path + "' has no state for the step callback " + c->name() + " (" + key +
                        "). Fix: start over with --fresh.");
      }
      saved[key] = t;
    }
    if (!saved.empty()) c->load_state(saved);
  }
  return info;
}

CheckpointInfo load_weights(const std::string& path, Experiment& ex, const std::string& expected_hash) {
  torch::serialize::InputArchive archive;
  open_archive(archive, path);
  return read_weights(archive, path, ex, expected_hash);
}

int64_t checkpoint_step(const std::string& path) {
  torch::serialize::InputArchive archive;
  open_archive(archive, path);
  torch::Tensor step;
  archive.read("step", step);
  return step.item<int64_t>();
}

void copy_weights(const Experiment& from, Experiment& to, const std::string& what) {
  const auto source = named_tensors(from);
  auto target = named_tensors(to);
  for (const auto& [name, tensor] : source) {
    if (!target.count(name)) {
      throw BadInput(what + " has a tensor '" + name + "' " + c10::str(tensor.sizes()) +
                     " that this run's model lacks: it is another architecture. Fix: initialise from a run of the "
                     "same model.");
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : target) {
    auto found = source.find(name);
    if (found == source.end()) {
      throw BadInput("this run's model has a tensor '" + name + "' " + c10::str(tensor.sizes()) + " that " + what +
                     " lacks: it is another architecture. Fix: initialise from a run of the same model.");
    }
    if (found->second.sizes() != tensor.sizes()) {
      throw BadInput("tensor '" + name + "' has shape " + c10::str(found->second.sizes()) + " in " + what + " but " +
                     c10::str(tensor.sizes()) + " in this run's model: another architecture. Fix: initialise "
                     "from a run of the same model (same widths, dims and vocabulary).");
    }
    tensor.copy_(found->second.to(tensor.options()));
  }
}

}  // namespace phenom
