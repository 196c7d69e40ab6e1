// sae/<hook>/{explained_variance, mse, l0, dead_fraction, dense_fraction, d_sae} on the fitted
// rows, and the task's loss on the set with the hook's activation as is (loss_clean), replaced by the SAE's
// reconstruction (loss_spliced) and zeroed (loss_zero); loss_recovered = (zero - spliced) /
// (zero - clean), SAELens' CE loss score. Tensors sae/<hook>/feature_density [d_sae] (fraction
// of rows on which each feature is active); exports <hook>/{cfg.json, sae_weights.safetensors}.
#include "probes/sae.h"

#include "core/seed.h"
#include "models/model.h"
#include "probes/activations.h"
#include "probes/probe.h"
#include "probes/sae_math.h"
#include "probes/sae_splice.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Sae : public Probe {
 public:
  explicit Sae(const SaeOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    require_hooks(c, {o_.hook}, "sae");
    const Batch set = first_examples(c, o_.set, o_.max_examples, "sae");
    const torch::Tensor x = activations(c, {o_.hook}, {"sae", o_.set, o_.position, set.size()})[0].to(torch::kFloat);
    SaeTraining t;
    t.d_sae = o_.d_sae > 0 ? o_.d_sae : o_.expansion * x.size(1);
    t.k = o_.k;
    t.l1 = o_.k > 0 ? 0.0 : o_.l1;
    t.steps = o_.steps;
    t.batch = o_.batch;
    t.lr = o_.lr;
    t.seed = derive_seed(c.spec.seed, Stream::kProbe, 0x736165);
    const SaeWeights sae = train_sae(x, t);
    const SaeFit fit = sae_fit(sae, x);
    const std::string p = "sae/" + o_.hook + "/";
    row.set(p + "explained_variance", fit.explained_variance);
    row.set(p + "mse", fit.mse);
    row.set(p + "l0", fit.l0);
    row.set(p + "dead_fraction", fit.dead_fraction);
    row.set(p + "dense_fraction", fit.dense_fraction);
    row.set(p + "d_sae", static_cast<double>(t.d_sae));

    const SpliceLosses splice = splice_losses(c.model, c.task, c.spec.train.loss, set, o_.hook, o_.position, sae);
    row.set(p + "loss_clean", splice.clean);
    row.set(p + "loss_spliced", splice.spliced);
    row.set(p + "loss_zero", splice.zero);
    if (splice.recovered) row.set(p + "loss_recovered", *splice.recovered);

    if (c.tensors) (*c.tensors)[p + "feature_density"] = fit.density.to(torch::kFloat).contiguous();
    if (c.exports) {
      Export& e = (*c.exports)[o_.hook];
      e.json["cfg.json"] = saelens_config(sae, o_.hook, splice.context_size, c.spec.name,
                                          c.spec.task.type + ":" + o_.set, o_.l1);
      e.safetensors["sae_weights.safetensors"] = saelens_weights(sae);
    }
  }

 private:
  SaeOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_sae(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Sae>(dynamic_cast<const SaeOptions&>(o));
}

}  // namespace phenom
