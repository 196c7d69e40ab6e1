#include "train/checkpoint.h"

#include <zlib.h>

#include <cstring>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "core/safetensors.h"
#include "core/text.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "probes/probe.h"
#include "train/experiment.h"

namespace phenom {
namespace {

// The seal: "PHNMCKPT", a format version (u32), the payload's CRC-32 (u32) and length (u64), all
// little-endian, then the payload (a LibTorch archive).
constexpr char kMagic[8] = {'P', 'H', 'N', 'M', 'C', 'K', 'P', 'T'};
constexpr size_t kSealSize = 24;

uint32_t crc_of(const char* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(data), size));
}

void put(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t get(const std::string& in, size_t at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return value;
}

std::string seal(const std::string& payload) {
  std::string out(kMagic, sizeof(kMagic));
  put(out, 1, 4);
  put(out, crc_of(payload.data(), payload.size()), 4);
  put(out, payload.size(), 8);
  return out + payload;
}

CorruptCheckpoint corrupt(const std::string& path, const std::string& why) {
  return CorruptCheckpoint("checkpoint '" + path + "' is damaged (" + why + "): it is not used.",
                           "run the same command again to resume from the newest intact checkpoints/step_<N>.pt, "
                           "or start over with --fresh.");
}

// Reads and verifies a checkpoint file into an archive.
void open_archive(torch::serialize::InputArchive& archive, const std::string& path) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const IoError& e) {
    throw corrupt(path, e.what());
  }
  size_t offset = 0;
  if (bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0) {
    if (bytes.size() < kSealSize) throw corrupt(path, "truncated header");
    const uint64_t version = get(bytes, 8, 4), crc = get(bytes, 12, 4), length = get(bytes, 16, 8);
    if (version != 1) throw corrupt(path, "format version " + std::to_string(version) + " is newer than this phenom");
    if (bytes.size() - kSealSize != length) {
      throw corrupt(path, std::to_string(bytes.size() - kSealSize) + " bytes of content where the header says " +
                              std::to_string(length) + ": truncated or extended");
    }
    if (crc_of(bytes.data() + kSealSize, length) != crc) throw corrupt(path, "CRC-32 mismatch: its content changed");
    offset = kSealSize;
  }
  std::istringstream stream(bytes.substr(offset));
  try {
    archive.load_from(stream, torch::kCPU);
  } catch (const c10::Error& e) {
    throw corrupt(path, e.msg());
  }
}

CheckpointInfo read_weights(torch::serialize::InputArchive& archive, const std::string& path, Experiment& ex,
                            const std::string& expected_hash) {
  torch::Tensor step, hash;
  archive.read("step", step);
  archive.read("spec_hash", hash);
  CheckpointInfo info{step.item<int64_t>(), expected_hash};
  torch::Tensor rows;
  if (archive.try_read("metrics_rows", rows)) info.metrics_rows = rows.item<int64_t>();
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

std::string probe_key(size_t index, const std::string& key) { return "probe." + std::to_string(index) + "." + key; }

// The tensors saved under prefix + key for those of `keys` the archive has.
std::map<std::string, torch::Tensor> read_state(torch::serialize::InputArchive& archive, const std::string& prefix,
                                                const std::vector<std::string>& keys) {
  std::map<std::string, torch::Tensor> saved;
  for (const auto& key : keys) {
    torch::Tensor t;
    if (archive.try_read(prefix + key, t)) saved[key] = t;
  }
  return saved;
}

}  // namespace

std::string encode_checkpoint(const Experiment& ex, int64_t step, const std::string& spec_hash, int64_t metrics_rows) {
  torch::serialize::OutputArchive archive;
  archive.write("step", torch::tensor(step, torch::kLong));
  archive.write("spec_hash", torch::tensor(static_cast<int64_t>(std::stoull(spec_hash, nullptr, 16)), torch::kLong));
  if (metrics_rows >= 0) archive.write("metrics_rows", torch::tensor(metrics_rows, torch::kLong));
  for (const auto& p : ex.model->named_parameters()) archive.write("model." + p.key(), p.value().detach().cpu());
  for (const auto& b : ex.model->named_buffers()) archive.write("buffer." + b.key(), b.value().cpu());
  ex.optimizer->save(archive);
  for (const auto& c : ex.callbacks) {
    for (const auto& [key, tensor] : c->state()) archive.write("callback." + c->name() + "." + key, tensor);
  }
  for (size_t i = 0; i < ex.probes.size(); ++i) {
    for (const auto& [key, tensor] : ex.probes[i]->state()) archive.write(probe_key(i, key), tensor.cpu());
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  return seal(bytes.str());
}

void save_checkpoint(const std::string& path, const Experiment& ex, int64_t step, const std::string& spec_hash) {
  write_file_atomic(path, encode_checkpoint(ex, step, spec_hash));
}

std::string encode_weights(const Experiment& ex, int64_t step, const std::string& spec_hash) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : ex.model->named_parameters()) tensors[p.key()] = p.value().detach().cpu().contiguous();
  for (const auto& b : ex.model->named_buffers()) tensors[b.key()] = b.value().detach().cpu().contiguous();
  return encode_safetensors(tensors, {{"step", std::to_string(step)}, {"spec_hash", spec_hash}, {"format", "phenom weights"}});
}

CheckpointInfo load_checkpoint(const std::string& path, Experiment& ex, const std::string& expected_hash) {
  torch::serialize::InputArchive archive;
  open_archive(archive, path);
  CheckpointInfo info = read_weights(archive, path, ex, expected_hash);
  ex.optimizer->load(archive);
  for (auto& c : ex.callbacks) {
    const auto saved = read_state(archive, "callback." + c->name() + ".", c->state_keys());
    for (const auto& key : c->state_keys()) {
      if (!saved.count(key)) {
        throw RunFailed("checkpoint '" + path + "' has no state for the step callback " + c->name() + " (" + key +
                        "). Fix: start over with --fresh.");
      }
    }
    if (!saved.empty()) c->load_state(saved);
  }
  // A probe's state is absent until its first measurement: what is there is restored.
  for (size_t i = 0; i < ex.probes.size(); ++i) {
    const auto saved = read_state(archive, probe_key(i, ""), ex.probes[i]->state_keys());
    if (!saved.empty()) ex.probes[i]->load_state(saved);
  }
  return info;
}

CheckpointInfo load_weights(const std::string& path, Experiment& ex, const std::string& expected_hash) {
  torch::serialize::InputArchive archive;
  open_archive(archive, path);
  return read_weights(archive, path, ex, expected_hash);
}

CheckpointInfo checkpoint_info(const std::string& path) {
  torch::serialize::InputArchive archive;
  open_archive(archive, path);
  torch::Tensor step, rows;
  archive.read("step", step);
  CheckpointInfo info{step.item<int64_t>(), "", -1};
  if (archive.try_read("metrics_rows", rows)) info.metrics_rows = rows.item<int64_t>();
  return info;
}

int64_t checkpoint_step(const std::string& path) { return checkpoint_info(path).step; }

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
