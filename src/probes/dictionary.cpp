// sae/<set>/{explained_variance, l0, dead_fraction, dense_fraction, d_sae} on the set's rows, and
// the source model's loss on the source examples of those rows with the hook as is (loss_clean),
// spliced (loss_spliced), zeroed (loss_zero), and loss_recovered = (zero - spliced) / (zero - clean).
// Tensor sae/<set>/feature_density [d_sae]; export sae/{cfg.json, sae_weights.safetensors}. Sources
// with operands a and b over p residues (modular arithmetic), whose sets cover the whole table:
// sae/fourier/{ipr_median, top_fraction_median, live} of the features' 2-D spectra over (a, b), and
// hook_ipr_median, hook_top_fraction_median of the hook's own units for comparison.
#include "probes/dictionary.h"

#include <set>

#include "core/error.h"
#include "models/model.h"
#include "models/sae.h"
#include "models/sae_weights.h"
#include "probes/activations.h"
#include "probes/fourier_math.h"
#include "probes/probe.h"
#include "probes/sae_math.h"
#include "probes/sae_splice.h"
#include "tasks/activations_task.h"

namespace phenom {
namespace {

// The activations at the task's hook over the whole (a, b) table, rows a * p + b; undefined when
// the source is no such task or its sets miss part of the table.
torch::Tensor table_activations(const SavedSystem& source, const ActivationsOptions& a) {
  const int64_t p = source.inputs.operand_vocab;
  if (p <= 0 || source.inputs.operand_tokens != 2) return {};
  std::vector<torch::Tensor> rows, index;
  for (const EvalSet& set : source.task->eval_sets()) {
    const auto attributes = source.task->attributes(set.name);
    if (!attributes.count("a") || !attributes.count("b")) return {};
    rows.push_back(activations_of(*source.model, set.batch->inputs, {a.hook}, a.position, "dictionary")[0]);
    if (rows.back().size(0) != set.batch->size()) return {};  // one row per position, not per example
    index.push_back((attributes.at("a") * p + attributes.at("b")).cpu());
  }
  if (rows.empty()) return {};
  const torch::Tensor at = torch::cat(index);
  if (std::get<0>(at::_unique(at)).numel() != p * p) return {};
  const torch::Tensor all = torch::cat(rows);
  return torch::zeros({p * p, all.size(1)}, all.options()).index_copy_(0, at, all);
}

class Dictionary : public Probe {
 public:
  explicit Dictionary(const DictionaryOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    const std::optional<SaeWeights> sae = sae_weights_of(c.model);
    const auto* task = dynamic_cast<const ActivationsTask*>(&c.task);
    if (!sae || !task) {
      throw BadInput("dictionary: reads an SAE run, model sae on task activations (this run has model " +
                     c.spec.model.type + " on task " + c.spec.task.type + "). Fix: use the sae probe to fit an "
                     "SAE to this run's hook, or train one as a run on the activations task.");
    }
    const SaeFit fit = sae_fit(*sae, task->split(o_.set).inputs);
    const std::string p = "sae/" + o_.set + "/";
    row.set(p + "explained_variance", fit.explained_variance);
    row.set(p + "l0", fit.l0);
    row.set(p + "dead_fraction", fit.dead_fraction);
    row.set(p + "dense_fraction", fit.dense_fraction);
    row.set(p + "d_sae", static_cast<double>(sae->d_sae()));

    const ActivationsOptions& a = task->options();
    const SavedSystem& source = task->source();
    const SaeWeights unscaled = sae->unscaled(task->scale());  // acts on the activations themselves
    const SpliceLosses splice = splice_losses(*source.model, *source.task, source.loss, task->source_examples(o_.set),
                                              a.hook, a.position, unscaled);
    row.set(p + "loss_clean", splice.clean);
    row.set(p + "loss_spliced", splice.spliced);
    row.set(p + "loss_zero", splice.zero);
    if (splice.recovered) row.set(p + "loss_recovered", *splice.recovered);

    if (const torch::Tensor table = table_activations(source, a); table.defined()) {
      const int64_t modulus = source.inputs.operand_vocab;
      const torch::Tensor features = unscaled.encode(table.to(unscaled.W_enc.options())).to(torch::kCPU, torch::kDouble);
      const FourierStats f = neuron_fourier_stats(features, modulus, 0.9);
      const FourierStats h = neuron_fourier_stats(table, modulus, 0.9);
      const std::string q = "sae/fourier/";
      if (auto m = live_median(f.ipr, f.live)) row.set(q + "ipr_median", *m);
      if (auto m = live_median(f.top_fraction, f.live)) row.set(q + "top_fraction_median", *m);
      row.set(q + "live", f.live.sum().item<double>());
      if (auto m = live_median(h.ipr, h.live)) row.set(q + "hook_ipr_median", *m);
      if (auto m = live_median(h.top_fraction, h.live)) row.set(q + "hook_top_fraction_median", *m);
      if (c.tensors) (*c.tensors)[q + "ipr"] = f.ipr.to(torch::kFloat).contiguous();
    }

    if (c.tensors) (*c.tensors)[p + "feature_density"] = fit.density.to(torch::kFloat).contiguous();
    if (c.exports) {
      const auto& l1 = dynamic_cast<const SaeModelOptions&>(*c.spec.model.options).l1;
      Export& e = (*c.exports)["sae"];
      e.json["cfg.json"] = saelens_config(unscaled, a.hook, splice.context_size, a.run, a.run + ":" + a.set, l1);
      e.safetensors["sae_weights.safetensors"] = saelens_weights(unscaled);
    }
  }

 private:
  DictionaryOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_dictionary(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Dictionary>(dynamic_cast<const DictionaryOptions&>(o));
}

}  // namespace phenom
